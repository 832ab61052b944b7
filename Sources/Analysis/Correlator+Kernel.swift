import PacketWire
import TraceModel

/// A captured packet as the kernel attribution needs it.
public struct PacketStamp: Hashable, Sendable {
    public var frame: Int
    public var time: Timestamp
    /// The packet's length on the wire.
    public var length: Int
    public init(frame: Int, time: Timestamp, length: Int) {
        self.frame = frame
        self.time = time
        self.length = length
    }
}

/// What a run recorded of the kernel: its events, the packets they explain,
/// and the threads that made the run's calls.
public struct KernelInput: Sendable {
    public var events: [KernelEvent]
    public var packets: [PacketStamp]
    /// The threads the scenario's calls ran on.
    public var threads: Set<Int32>
    public init(events: [KernelEvent], packets: [PacketStamp], threads: Set<Int32>) {
        self.events = events
        self.packets = packets
        self.threads = threads
    }
}

extension Correlator {
    /// Replaces the inferred cause of every segment the kernel's events
    /// explain by the attested one, keeps the inferred explanation where the
    /// two agree, and measures how often they do.
    static func attest(_ input: KernelInput, entries: inout [TimelineEntry], segments: inout [TimelineSegment],
                       calls: [TimelineSyscall], owners: SocketOwners) -> InferenceAgreement {
        let attested = KernelAttribution.attest(packets: input.packets.map { ($0.frame, $0.time, $0.length) }, events: input.events)
        var indexOfFrame: [Int: Int] = [:]
        var segmentOfIndex: [Int: TCPSegment] = [:]
        for e in entries {
            switch e {
            case .segment(let s): indexOfFrame[s.segment.frame] = s.index; segmentOfIndex[s.index] = s.segment
            case .datagram(let d): indexOfFrame[d.frame] = d.index
            case .syscall: break
            }
        }
        var agreement = InferenceAgreement(agree: 0, total: 0, differences: [])
        for i in segments.indices {
            let inferred = segments[i]
            guard let a = attested[inferred.segment.frame] else { continue }
            var evidence = KernelEvidence(context: .syscall, resetReason: a.resetReason, retransmit: a.retransmit)
            var call: SyscallEvent?
            let cause: SegmentCause
            switch a.origin {
            case .syscall(let thread):
                evidence.thread = thread
                let running = callRunning(at: inferred.segment.time, thread: thread, calls: calls, threads: input.threads)
                call = running?.event
                if let p = a.processing, let index = indexOfFrame[p] {
                    cause = .reply(to: index)
                } else {
                    cause = running.map { .syscall(event: $0.index) } ?? .timer("unknown")
                }
            case .reply(let frame):
                evidence.context = .softirq
                cause = frame.flatMap { indexOfFrame[$0] }.map { .reply(to: $0) } ?? .timer("unknown")
            case .timer(let function):
                evidence.context = .timer
                evidence.timer = function
                cause = .timer(CauseWording.timerKind(function, segment: inferred.annotated))
            }
            agreement.total += 1
            let agrees = inferred.cause == cause
            if agrees {
                agreement.agree += 1
            } else {
                agreement.differences.append("#\(inferred.index) [\(inferred.segment.flags.tcpdumpNotation)]: kernel \(label(cause)), inferred \(label(inferred.cause))")
            }
            var s = inferred
            s.cause = cause
            s.source = .kernel
            s.kernel = evidence
            if inferred.segment.isRST && a.resetHasSocket == false { s.sender = nil }
            if inferred.segment.isRST, let reason = a.resetReason {
                let closer = call.map(\.socket)
                s.explanation = CauseWording.reset(reason, segment: inferred.segment, closing: call,
                                                   listener: closer.map(owners.listening.contains) ?? false,
                                                   lingerZero: closer.map(owners.lingerZero.contains) ?? false)
            } else if !agrees {
                let replied: TCPSegment? = if case .reply(let r) = cause { segmentOfIndex[r] } else { nil }
                s.explanation = CauseWording.kernel(cause, segment: inferred.segment, evidence: evidence, call: call, replyTo: replied)
            }
            if let reason = a.fate { s.fate = SegmentFate(dropped: reason, evidence: "kfree_skb") }
            segments[i] = s
            entries[s.index] = .segment(s)
        }
        listenOverflows(attested, entries: &entries, segments: &segments, calls: calls)
        return agreement
    }

    /// The call a thread was in at `time`: the one whose window holds it, else the last one begun before.
    static func callRunning(at time: Timestamp, thread: Int32, calls: [TimelineSyscall], threads: Set<Int32>) -> TimelineSyscall? {
        let mine = calls.filter { ($0.event.tid.map { $0 == thread } ?? threads.contains(thread)) && $0.event.socket != "namespace" && $0.event.socket != "firewall" }
        return mine.last { $0.event.begin <= time && time <= $0.event.end } ?? mine.last { $0.event.begin <= time }
    }

    /// A SYN that reached a listener, drew no answer, was not freed by
    /// kfree_skb, and was sent while TcpExtListenOverflows moved: the full
    /// accept queue dropped it silently (tcp_conn_request, net/ipv4/tcp_input.c).
    static func listenOverflows(_ attested: [Int: PacketAttestation], entries: inout [TimelineEntry], segments: inout [TimelineSegment],
                                calls: [TimelineSyscall]) {
        var answered: Set<Int> = []
        for a in attested.values { if case .reply(let f?) = a.origin { answered.insert(f) } }
        for i in segments.indices where segments[i].segment.isBareSYN && segments[i].fate == nil && segments[i].source == .kernel {
            let s = segments[i]
            guard !answered.contains(s.segment.frame) else { continue }
            let during = calls.last { $0.event.begin <= s.segment.time && $0.event.socket != "namespace" }
            guard let moved = during?.event.counters?["TcpExtListenOverflows"], moved > 0 else { continue }
            segments[i].fate = SegmentFate(dropped: "TCP_LISTEN_OVERFLOW", evidence: "counter:TcpExtListenOverflows")
            entries[s.index] = .segment(segments[i])
        }
    }

    /// The kernel's state changes of this run, named by socket. Only changes
    /// of the run's own addresses are kept.
    static func stateChanges(_ events: [KernelEvent], flows: Set<DirectedFlow>, owners: SocketOwners) -> [StateChange] {
        var changes: [StateChange] = []
        for e in events {
            guard case .setState(let local, let remote, let old, let new, _) = e.kind, let local, let remote else { continue }
            let flow = DirectedFlow(local, remote)
            let listening = remote.port == 0
            guard flows.contains(flow) || (listening && owners.bound[local] != nil) else { continue }
            let name = listening ? owners.bound[local] : owners.owner(flow, until: e.time)
            changes.append(StateChange(time: e.time, socket: name, local: local, remote: listening ? nil : remote,
                                       from: CauseWording.stateName(old), to: CauseWording.stateName(new)))
        }
        return changes
    }

    static func label(_ c: SegmentCause) -> String {
        switch c {
        case .syscall(let e): "caused by #\(e)"
        case .reply(let e): "reply to #\(e)"
        case .timer(let name): "timer (\(name))"
        }
    }
}
