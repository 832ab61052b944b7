import PacketWire
import TraceModel

/// Ties each captured segment to the socket that sent it and to its cause,
/// and each socket call to the segments it caused.
///
/// On loopback a whole handshake happens inside the `connect()` call, so a
/// time window alone cannot decide causes: the 4-tuple, the flags, the
/// sequence and acknowledgment numbers and TCP's rules do, and time only
/// orders candidates.
public enum Correlator {
    /// With `kernelEvents`, every segment they explain gets the attested
    /// cause (`Correlator.attest`); `kernelUnavailable` says why a live run has none.
    public static func timeline(scenario: String?, kernel: String?, events: [SyscallEvent], segments: [TCPSegment],
                                datagrams: [Datagram] = [], kernelEvents: KernelInput? = nil, kernelUnavailable: String? = nil) -> Timeline {
        // 1. Analyse the segments.
        var (annotated, connections) = track(segments)
        // 2. Calls and segments in time order, each segment and datagram with its inferred cause.
        var owners = SocketOwners(events: events)
        owners.learnConnectTuples(events: events, segments: annotated.map(\.segment))
        var c = correlate(events: events, annotated: annotated, datagrams: datagrams, connections: connections, owners: owners)
        // 3. The kernel's word, where it was recorded.
        var agreement: InferenceAgreement?
        var changes: [StateChange] = []
        if let k = kernelEvents {
            agreement = attest(k, entries: &c.entries, segments: &c.segments, calls: c.calls, owners: owners)
            changes = stateChanges(k.events, flows: Set(segments.flatMap { [$0.flow, $0.flow.reversed] }), owners: owners,
                                   calls: c.calls, segments: c.segments)
        }
        // 4. Back-links: what each call caused, and which segment let a blocking call return.
        linkCalls(&c)
        connections.sort { $0.id < $1.id }
        var timeline = Timeline(scenario: scenario, kernel: kernel, sockets: orderedSockets(events), entries: c.entries, connections: connections,
                                kernelEvents: kernelEvents != nil ? "attested" : kernelUnavailable.map { "unavailable: \($0)" })
        timeline.stateChanges = changes
        timeline.inference = agreement
        return timeline
    }

    /// Every segment annotated by the connection tracker, and the connections.
    static func track(_ segments: [TCPSegment]) -> ([AnnotatedSegment], [Connection]) {
        var tracker = ConnectionTracker(options: .init(keepSegments: true))
        var annotated: [AnnotatedSegment] = []
        // Connections finished long enough before the end are emitted along the way (a long trace has many).
        var connections: [Connection] = []
        for s in segments {
            let observed = tracker.observe(s)
            annotated.append(observed.segment)
            connections += observed.emitted
        }
        connections += tracker.finish()
        let byFrame = Dictionary(connections.flatMap(\.segments).map { ($0.segment.frame, $0) }, uniquingKeysWith: { a, _ in a })
        // The tracker's kept segments carry states filled in later (the responder's answer); prefer them.
        return (annotated.map { byFrame[$0.segment.frame] ?? $0 }, connections)
    }

    /// The timeline's entries so far, and its calls, segments and datagrams.
    struct Correlation {
        var entries: [TimelineEntry] = []
        var calls: [TimelineSyscall] = []
        var segments: [TimelineSegment] = []
        var datagrams: [TimelineDatagram] = []
    }

    /// Merges calls and segments in time order (a call sorts at its entry time, before a segment at
    /// the same time) and infers each segment's and datagram's cause from what came before it.
    static func correlate(events: [SyscallEvent], annotated: [AnnotatedSegment], datagrams: [Datagram],
                          connections: [Connection], owners: SocketOwners) -> Correlation {
        enum Item { case call(SyscallEvent), seg(AnnotatedSegment), datagram(Datagram) }
        var items: [(Timestamp, Int, Item)] = []
        for e in events { items.append((e.begin, 0, .call(e))) }
        for a in annotated { items.append((a.segment.time, 1, .seg(a))) }
        for d in datagrams { items.append((d.time, 1, .datagram(d))) }
        items.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        var c = Correlation()
        let connectionOfID = Dictionary(connections.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var history = History()
        for (index, item) in items.enumerated() {
            switch item.2 {
            case .call(let e):
                let call = TimelineSyscall(index: index, event: e)
                c.calls.append(call)
                history.calls[e.socket, default: []].append(call)
                c.entries.append(.syscall(call))
            case .seg(let a):
                let seg = classify(a, index: index, owners: owners, calls: c.calls, earlier: c.segments, connection: connectionOfID[a.connection],
                                   history: history)
                c.segments.append(seg)
                history.segments[seg.segment.flow, default: []].append(seg)
                if seg.segment.isSYNACK { history.synAcks.append(seg) }
                c.entries.append(.segment(seg))
            case .datagram(let d):
                let g = classify(d, index: index, calls: c.calls, earlier: c.datagrams)
                c.datagrams.append(g)
                c.entries.append(.datagram(g))
            }
        }
        return c
    }

    /// Fills in what each call caused, and which segment let a blocking call return.
    static func linkCalls(_ c: inout Correlation) {
        var caused: [Int: [Int]] = [:]
        for g in c.segments { if case .syscall(let i) = g.cause { caused[i, default: []].append(g.index) } }
        for g in c.datagrams { if case .syscall(let i) = g.cause { caused[i, default: []].append(g.index) } }
        let received = SegmentIndex(c.segments)
        for i in c.entries.indices {
            guard case .syscall(var call) = c.entries[i] else { continue }
            call.caused = (caused[call.index] ?? []).sorted()
            call.returnedAfter = returnedAfter(call.event, segments: received)
            c.entries[i] = .syscall(call)
        }
    }

    /// The calls that send data, read it, and close a socket (a traced program's own system calls included).
    public static let sendCalls: Set<Syscall> = [.send, .sendto, .sendmsg, .write, .writev]
    public static let receiveCalls: Set<Syscall> = [.recv, .recvfrom, .recvmsg, .read, .readv]
    static let closeCalls: Set<Syscall> = [.close, .exit]

    static func orderedSockets(_ events: [SyscallEvent]) -> [String] {
        var seen: [String] = []
        for e in events where !seen.contains(e.socket) { seen.append(e.socket) }
        for e in events {
            for o in e.outputs where o.name == "socket" {
                if case .text(let n) = o.value, !seen.contains(n) { seen.append(n) }
            }
        }
        return seen
    }

    // MARK: Causes

    /// What came before a segment, indexed: the calls per socket, the segments per flow.
    struct History {
        var calls: [String: [TimelineSyscall]] = [:]
        var segments: [DirectedFlow: [TimelineSegment]] = [:]
        var synAcks: [TimelineSegment] = []
    }

    static func classify(_ a: AnnotatedSegment, index: Int, owners: SocketOwners, calls: [TimelineSyscall],
                         earlier: [TimelineSegment], connection: Connection?, history: History) -> TimelineSegment {
        Classification(a, index: index, owners: owners, calls: calls, earlier: earlier, connection: connection, history: history).segment()
    }

    /// The segments of a timeline by receiving socket, by destination address and by flow, in order.
    struct SegmentIndex {
        var byReceiver: [String: [TimelineSegment]] = [:]
        var byDestination: [SocketAddress: [TimelineSegment]] = [:]
        var byFlow: [DirectedFlow: [TimelineSegment]] = [:]
        init(_ segments: [TimelineSegment]) {
            for g in segments {
                if let r = g.receiver { byReceiver[r, default: []].append(g) }
                byDestination[g.segment.flow.destination, default: []].append(g)
                byFlow[g.segment.flow, default: []].append(g)
            }
        }
    }

    /// The segment that let a blocking call return.
    static func returnedAfter(_ e: SyscallEvent, segments: SegmentIndex) -> Int? {
        let mine = segments.byReceiver[e.socket] ?? []
        switch e.call {
        case .connect:
            guard e.error != .inProgress else { return nil }
            // connect() returns once the SYN-ACK (or the RST) has arrived.
            return mine.last { $0.segment.time >= e.begin && $0.segment.time <= e.end && ($0.segment.isSYNACK || $0.segment.isRST) }?.index
        case .accept, .accept4:
            guard e.error == nil, case .address(let peer)? = e.outputs.first(where: { $0.name == "peer" })?.value else { return nil }
            // accept() returns once the handshake's last ACK put the connection in
            // the accept queue: the first ACK from the peer after the latest SYN-ACK to it.
            let toPeer = (segments.byDestination[peer] ?? []).filter { $0.segment.time <= e.end }
            guard let synack = toPeer.last(where: { $0.segment.isSYNACK }) else { return nil }
            return segments.byFlow[synack.segment.flow.reversed]?.first { $0.segment.hasACK && !$0.segment.isSYN
                && $0.index > synack.index && $0.segment.time <= e.end }?.index
        case _ where receiveCalls.contains(e.call):
            // The data it read, the FIN behind an end of file, or the RST behind ECONNRESET.
            let before = mine.filter { $0.segment.time <= e.end }
            if let n = e.result, n > 0 { return before.last { $0.segment.payloadLength > 0 }?.index }
            if e.result == 0 { return before.last { $0.segment.isFIN }?.index }
            if e.error == .connectionReset { return before.last { $0.segment.isRST }?.index }
            return nil
        default:
            return nil
        }
    }
}
