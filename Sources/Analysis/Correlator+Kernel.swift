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
        let flows = Dictionary(segments.map { ($0.segment.frame, $0.segment.flow) }, uniquingKeysWith: { a, _ in a })
        let attested = KernelAttribution.attest(packets: input.packets.map { ($0.frame, $0.time, $0.length) }, flows: flows, events: input.events)
        let witness = KernelWitness(input, attested: attested, entries: entries, segments: segments, calls: calls)
        var agreement = InferenceAgreement(agree: 0, total: 0, differences: [])
        for i in segments.indices {
            let inferred = segments[i]
            guard let a = attested[inferred.segment.frame] else { continue }
            let (cause, evidence, call) = witness.cause(of: inferred, attested: a)
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
                let replied: TCPSegment? = if case .reply(let r) = cause { witness.segmentOfIndex[r] } else { nil }
                s.explanation = CauseWording.kernel(cause, segment: inferred.segment, evidence: evidence, call: call, replyTo: replied)
            }
            // Not drops: QUEUE_PURGE frees a segment the socket had accepted, when the socket goes
            // away; NOT_SPECIFIED is also how this kernel frees a segment a TIME-WAIT socket has handled.
            if let reason = a.fate, reason != .queuePurge, reason != .notSpecified {
                s.fate = SegmentFate(dropped: reason, evidence: "kfree_skb")
            }
            segments[i] = s
            entries[s.index] = .segment(s)
        }
        silentListenerDrops(witness.answered, entries: &entries, segments: &segments, calls: calls)
        return agreement
    }

    /// What the kernel's attestations of a run are read with: the timeline's indexes by frame, the calls by thread.
    struct KernelWitness {
        let threads: Set<Int32>
        let segments: [TimelineSegment]
        var indexOfFrame: [Int: Int] = [:]
        var segmentOfIndex: [Int: TCPSegment] = [:]
        let answered: Set<Int>
        let index: CallIndex
        let byFlow: [DirectedFlow: [TimelineSegment]]

        init(_ input: KernelInput, attested: [Int: PacketAttestation], entries: [TimelineEntry], segments: [TimelineSegment], calls: [TimelineSyscall]) {
            threads = input.threads
            self.segments = segments
            for e in entries {
                switch e {
                case .segment(let s): indexOfFrame[s.segment.frame] = s.index; segmentOfIndex[s.index] = s.segment
                case .datagram(let d): indexOfFrame[d.frame] = d.index
                case .syscall: break
                }
            }
            answered = Correlator.answeredFrames(attested)
            index = CallIndex(calls, threads: input.threads)
            byFlow = Correlator.SegmentIndex(segments).byFlow
        }

        /// The attested cause of a segment, the evidence, and the call it was queued in.
        func cause(of inferred: TimelineSegment, attested a: PacketAttestation) -> (SegmentCause, KernelEvidence, SyscallEvent?) {
            var evidence = KernelEvidence(context: .syscall, resetReason: a.resetReason, retransmit: a.retransmit)
            switch a.origin {
            case .syscall(let thread):
                return inCall(inferred, attested: a, thread: thread, evidence: evidence)
            case .reply(let frame):
                evidence.context = .softirq
                // A crosswise match of two same-length packets is undone where it is made
                // (`KernelAttribution.uncross`): the kernel's answer stands as it is.
                return (frame.flatMap { indexOfFrame[$0] }.map { .reply(to: $0) } ?? .timer(.unknown), evidence, nil)
            case .timer(let function):
                evidence.context = .timer
                evidence.timer = function
                return (.timer(CauseWording.timerKind(function, segment: inferred.annotated)), evidence, nil)
            }
        }

        /// A segment queued in process context: the thread's running call, or a segment that call
        /// took from its socket's backlog (`backlogSegment`).
        func inCall(_ inferred: TimelineSegment, attested a: PacketAttestation, thread: Int32,
                    evidence: KernelEvidence) -> (SegmentCause, KernelEvidence, SyscallEvent?) {
            var evidence = evidence
            evidence.thread = thread
            var running = index.running(at: inferred.segment.time, thread: thread)
            // Two threads sending same-length segments at once can have their queue events
            // matched crosswise (the capture ring may see them in the other order). A
            // segment queued inside a call comes from that call's socket: when the kernel's
            // socket table says another socket holds the 4-tuple and that socket's call
            // was running too, that call is the one.
            if let owner = inferred.sender, let r = running, r.event.socket != owner,
               let own = index.last(on: owner, where: { $0.event.begin <= inferred.segment.time && inferred.segment.time <= $0.event.end }) {
                running = own
                evidence.thread = own.event.tid ?? thread
            }
            let received = inferred.segment.flow.source == inferred.segment.flow.destination ? segments : byFlow[inferred.segment.flow.reversed] ?? []
            if let p = a.processing ?? Correlator.backlogSegment(for: inferred.segment, since: running?.event.begin, received: received, answered: answered),
               let at = indexOfFrame[p] {
                return (.reply(to: at), evidence, running?.event)
            }
            let cause: SegmentCause = running.map { .syscall(event: $0.index) }
                ?? (threads.contains(thread) ? .timer(.unknown) : .untraced(task: thread))
            return (cause, evidence, running?.event)
        }
    }

    /// While a call holds its socket's lock, segments that arrive wait on the
    /// socket's backlog, and the kernel processes them on the calling thread
    /// when the call releases the lock (release_sock → sk_backlog_rcv,
    /// net/core/sock.c). So a SYN-ACK or a pure ACK queued in process context
    /// answers the latest segment with sequence space that reached that
    /// socket during the call and drew no answer in softirq. Returns its frame.
    static func backlogSegment(for s: TCPSegment, since begin: Timestamp?, received: [TimelineSegment], answered: Set<Int>) -> Int? {
        guard let begin, s.payloadLength == 0, !s.isFIN, !s.isRST, !s.isBareSYN else { return nil }
        return received.last { r in
            (r.segment.flow == s.flow.reversed || s.flow.source == s.flow.destination) && r.segment.sequenceLength > 0
                && r.segment.frame < s.frame && r.segment.time >= begin && !answered.contains(r.segment.frame)
        }?.segment.frame
    }

    /// Frames that drew an answer in softirq.
    static func answeredFrames(_ attested: [Int: PacketAttestation]) -> Set<Int> {
        var answered: Set<Int> = []
        for a in attested.values { if case .reply(let f?) = a.origin { answered.insert(f) } }
        return answered
    }


    /// A SYN that reached a listener, drew no answer and was not freed by
    /// kfree_skb was dropped silently when a listener counter moved while it
    /// was sent: TcpExtListenOverflows (the accept queue is full) or
    /// TcpExtTCPReqQFullDrop (the SYN queue is full, no cookies): tcp_conn_request
    /// in net/ipv4/tcp_input.c.
    static func silentListenerDrops(_ answered: Set<Int>, entries: inout [TimelineEntry], segments: inout [TimelineSegment],
                                calls: [TimelineSyscall]) {
        let silentDrops: [(String, DropReason)] = [("TcpExtListenOverflows", .listenOverflow), ("TcpExtTCPReqQFullDrop", .requestQueueFull)]
        for i in segments.indices where segments[i].segment.isBareSYN && segments[i].fate == nil && segments[i].source == .kernel {
            let s = segments[i]
            guard !answered.contains(s.segment.frame) else { continue }
            let during = calls.last { $0.event.begin <= s.segment.time && $0.event.socket != "namespace" }
            guard let (counter, reason) = silentDrops.first(where: { (during?.event.counters?[$0.0] ?? 0) > 0 }) else { continue }
            segments[i].fate = SegmentFate(dropped: reason, evidence: "counter:\(counter)")
            entries[s.index] = .segment(segments[i])
        }
    }

    /// The kernel's state changes of this run, named by socket. Only changes
    /// of the run's own addresses are kept.
    static func stateChanges(_ events: [KernelEvent], flows: Set<DirectedFlow>, owners: SocketOwners,
                             calls: [TimelineSyscall], segments: [TimelineSegment]) -> [StateChange] {
        var changes: [StateChange] = []
        var callsOfThread: [Int32: [TimelineSyscall]] = [:]
        for c in calls { if let t = c.event.tid { callsOfThread[t, default: []].append(c) } }
        var synOfCall: [Int: [TimelineSegment]] = [:]
        for g in segments where g.segment.isBareSYN { if case .syscall(let c) = g.cause { synOfCall[c, default: []].append(g) } }
        for e in events {
            guard case .setState(let l?, let r?, let old, let new, _) = e.kind else { continue }
            var (local, remote) = (l, r)
            // A connect()'s first change (CLOSED → SYN-SENT) comes before it picks its port
            // (tcp_v4_connect sets the state, then inet_hash_connect binds): the port is that
            // of the SYN the same call sent.
            if l.port == 0, e.context == .process,
               let call = callsOfThread[e.pid]?.last(where: { $0.event.begin <= e.time && e.time <= $0.event.end }),
               let syn = synOfCall[call.index]?.first(where: { $0.segment.flow.destination == r }) {
                local = syn.segment.flow.source
            }
            let flow = DirectedFlow(local, remote)
            let listening = remote.port == 0
            guard flows.contains(flow) || (listening && owners.bound[local] != nil) else { continue }
            let name = listening ? owners.bound[local] : owners.owner(flow, until: e.time)
            changes.append(StateChange(time: e.time, socket: name, local: local, remote: listening ? nil : remote,
                                       from: old.name, to: new.name))
        }
        return changes
    }

    static func label(_ c: SegmentCause) -> String {
        switch c {
        case .syscall(let e): "caused by #\(e)"
        case .reply(let e): "reply to #\(e)"
        case .timer(let name): "timer (\(name))"
        case .untraced(let task): "task \(task), not traced"
        }
    }
}
