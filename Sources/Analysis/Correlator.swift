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
        annotated = annotated.map { byFrame[$0.segment.frame] ?? $0 }

        // 2. Merge calls and segments in time order; a call sorts at its entry time, before a segment at the same time.
        enum Item { case call(SyscallEvent), seg(AnnotatedSegment), datagram(Datagram) }
        var items: [(Timestamp, Int, Item)] = []
        for e in events { items.append((e.begin, 0, .call(e))) }
        for a in annotated { items.append((a.segment.time, 1, .seg(a))) }
        for d in datagrams { items.append((d.time, 1, .datagram(d))) }
        items.sort { ($0.0, $0.1) < ($1.0, $1.1) }

        let sockets = orderedSockets(events)
        var owners = SocketOwners(events: events)
        owners.learnConnectTuples(events: events, segments: annotated.map(\.segment))
        var calls: [TimelineSyscall] = []
        var segs: [TimelineSegment] = []
        var grams: [TimelineDatagram] = []
        var entries: [TimelineEntry] = []
        let connectionOfID = Dictionary(connections.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var history = History()
        for (index, item) in items.enumerated() {
            switch item.2 {
            case .call(let e):
                let call = TimelineSyscall(index: index, event: e)
                calls.append(call)
                history.calls[e.socket, default: []].append(call)
                entries.append(.syscall(call))
            case .seg(let a):
                let seg = classify(a, index: index, owners: owners, calls: calls, earlier: segs, connection: connectionOfID[a.connection],
                                   history: history)
                segs.append(seg)
                history.segments[seg.segment.flow, default: []].append(seg)
                if seg.segment.isSYNACK { history.synAcks.append(seg) }
                entries.append(.segment(seg))
            case .datagram(let d):
                let g = classify(d, index: index, calls: calls, earlier: grams)
                grams.append(g)
                entries.append(.datagram(g))
            }
        }

        // 3. The kernel's word, where it was recorded.
        var agreement: InferenceAgreement?
        var changes: [StateChange] = []
        if let k = kernelEvents {
            agreement = attest(k, entries: &entries, segments: &segs, calls: calls, owners: owners)
            changes = stateChanges(k.events, flows: Set(segments.flatMap { [$0.flow, $0.flow.reversed] }), owners: owners,
                                   calls: calls, segments: segs)
        }

        // 4. Back-links: what each call caused, and which segment let a blocking call return.
        var caused: [Int: [Int]] = [:]
        for g in segs { if case .syscall(let c) = g.cause { caused[c, default: []].append(g.index) } }
        for g in grams { if case .syscall(let c) = g.cause { caused[c, default: []].append(g.index) } }
        let received = SegmentIndex(segs)
        for i in entries.indices {
            guard case .syscall(var call) = entries[i] else { continue }
            call.caused = (caused[call.index] ?? []).sorted()
            call.returnedAfter = returnedAfter(call.event, segments: received)
            entries[i] = .syscall(call)
        }
        connections.sort { $0.id < $1.id }
        var timeline = Timeline(scenario: scenario, kernel: kernel, sockets: sockets, entries: entries, connections: connections,
                                kernelEvents: kernelEvents != nil ? "attested" : kernelUnavailable.map { "unavailable: \($0)" })
        timeline.stateChanges = changes
        timeline.inference = agreement
        return timeline
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
        let s = a.segment
        // A 4-tuple can carry several connections over a run (TIME-WAIT reuse):
        // its owner is the socket that held it by the end of this connection.
        let until = connection?.end ?? s.time
        let sender = owners.sender(of: s, until: until)
        let receiver = owners.owner(s.flow.reversed, until: until)
        let from = owners.label(s.flow.source, flow: s.flow, reversed: false, until: until)
        let to = owners.label(s.flow.destination, flow: s.flow, reversed: true, until: until)
        let originator = connection.map { owners.label($0.originator, flow: DirectedFlow($0.originator, $0.responder), reversed: false, until: until) } ?? from
        let responder = connection.map { owners.label($0.responder, flow: DirectedFlow($0.originator, $0.responder), reversed: true, until: until) } ?? to
        func result(_ cause: SegmentCause, _ text: String) -> TimelineSegment {
            TimelineSegment(index: index, annotated: a, sender: sender, receiver: receiver, cause: cause, explanation: text,
                            originatorName: originator, responderName: responder)
        }
        /// The latest call of one of `names` on the sender's socket that began before the segment.
        func lastCall(_ names: Set<Syscall>) -> TimelineSyscall? {
            guard let sender else { return nil }
            return history.calls[sender]?.last { names.contains($0.event.call) && $0.event.begin <= s.time }
        }
        /// The latest earlier segment of the opposite direction (or, self-connected, the same tuple).
        func lastFromPeer(where match: (TCPSegment) -> Bool) -> TimelineSegment? {
            history.segments[s.flow.reversed]?.last { match($0.segment) }
        }
        let selfConnect = s.flow.source == s.flow.destination

        if a.findings.contains(.keepAlive) {
            return result(.timer(.keepalive), "keepalive probe from \(from): the idle timer fired (SO_KEEPALIVE)")
        }
        if a.findings.contains(.zeroWindowProbe) {
            return result(.timer(.zeroWindowProbe), "zero-window probe: \(to) advertised no room, the persist timer fired")
        }
        // A first SYN-ACK answers a SYN even when Wireshark's rules call it a
        // retransmission (its sequence number was already used by this side's own SYN).
        let firstSYNACK = s.isSYNACK && !history.synAcks.contains { $0.segment.flow == s.flow && $0.segment.sequence == s.sequence }
            && earlier.contains { $0.segment.isBareSYN && $0.segment.nextSequence == s.acknowledgment }
        if !firstSYNACK && (a.findings.contains(.retransmission) || a.findings.contains(.outOfOrder) && s.isSYN) {
            let what = s.isBareSYN ? "SYN" : s.isSYNACK ? "SYN-ACK" : s.isFIN ? "FIN" : "segment"
            return result(.timer(.retransmission), "\(what) retransmitted by \(from)'s kernel: its retransmission timer fired before an acknowledgment reached it")
        }
        if s.isBareSYN {
            if let c = lastCall([.connect]) {
                var text = selfConnect ? "SYN from connect(): \(from) connects to its own address and port"
                    : "SYN from connect(): \(from) opens a connection to \(to)"
                if connection?.handshake == .unanswered, let listener = owners.bound[s.flow.destination] ?? owners.wildcardOwner(s.flow.destination),
                   owners.listening.contains(listener),
                   let queue = calls.last(where: { $0.event.end <= s.time && !$0.event.snapshot.isEmpty })?.event.snapshot.first(where: { $0.socket == listener })?.receiveQueue,
                   let backlog = owners.backlog[listener], queue > backlog {
                    text += "; no answer: \(listener)'s accept queue is full (\(queue) > backlog \(backlog)), so its kernel drops the SYN"
                }
                return result(.syscall(event: c.index), text)
            }
            return result(.timer(.unknown), "SYN from \(from) with no connect() recorded")
        }
        if s.isSYNACK {
            if let syn = earlier.last(where: { $0.segment.isBareSYN && $0.segment.nextSequence == s.acknowledgment
                && ($0.segment.flow == s.flow.reversed || selfConnect) }) {
                let text: String
                if selfConnect {
                    text = "SYN-ACK: the socket received its own SYN while in SYN-SENT and answers it (simultaneous open with itself)"
                } else if earlier.contains(where: { $0.segment.isBareSYN && $0.segment.flow == s.flow }) {
                    text = "SYN-ACK from \(from)'s kernel: its SYN crossed \(to)'s (simultaneous open), so it answers the peer's SYN"
                } else if let listener = owners.bound[s.flow.source] ?? owners.wildcardOwner(s.flow.source), owners.listening.contains(listener) {
                    let accepted = sender.map { $0 != listener ? ", for the connection accept() will return as \($0)" : "" } ?? ""
                    text = "SYN-ACK from the kernel: \(listener) listens on \(s.flow.source.hostPort) and answers \(to)'s SYN\(accepted)"
                } else {
                    text = "SYN-ACK from \(from)'s kernel: answers \(to)'s SYN"
                }
                return result(.reply(to: syn.index), text)
            }
            return result(.timer(.unknown), "SYN-ACK from \(from) for a SYN that was not captured")
        }
        if s.isRST {
            // A refusal answers a SYN of a connection that never got a SYN-ACK.
            let answered = history.synAcks.contains { $0.annotated.connection == a.connection }
            if !answered, let syn = lastFromPeer(where: { $0.isBareSYN && $0.nextSequence == s.acknowledgment }) {
                let listensLater = sender.flatMap { owners.listenTime[$0] }.map { $0 > s.time } ?? false
                let why = sender == nil ? "nothing listens on \(from)"
                    : listensLater ? "\(from) does not listen yet" : "\(from) is bound but not listening"
                return result(.reply(to: syn.index), "RST from the kernel: \(why), so the SYN is refused")
            }
            // A close() in progress aborts: SO_LINGER 0, unread data, or a listener dropping unaccepted connections.
            let closing = calls.last { Self.closeCalls.contains($0.event.call) && $0.event.begin <= s.time && s.time.nanoseconds <= $0.event.end.nanoseconds + 1_000_000 }
            if let c = closing, c.event.socket == sender || owners.bound[s.flow.source] == c.event.socket {
                let why: String
                if owners.listening.contains(c.event.socket) && c.event.socket != sender {
                    why = "closing the listener aborts the connection still waiting in its accept queue"
                } else if owners.lingerZero.contains(c.event.socket) {
                    why = "SO_LINGER {on, 0} makes close() abort the connection instead of closing it"
                } else {
                    why = "close() with unread data in the receive buffer aborts the connection (RFC 9293 §3.6.1, RFC 2525 §2.17)"
                }
                return result(.syscall(event: c.index), "RST from close(): \(why)")
            }
            let ownLast = history.segments[s.flow]?.last
            if let probe = ownLast, probe.annotated.findings.contains(.keepAlive),
               !(history.segments[s.flow.reversed] ?? []).contains(where: { $0.index > probe.index }) {
                return result(.timer(.keepalive), "RST from \(from)'s kernel: its keepalive probes went unanswered (TCP_KEEPCNT), so it drops the connection; the next call gets ETIMEDOUT")
            }
            if let peer = lastFromPeer(where: { _ in true }) {
                if let full = owners.fullAcceptQueue(at: s.flow.source, before: s.time, calls: calls) {
                    return result(.reply(to: peer.index), "RST from the kernel: \(full), and net.ipv4.tcp_abort_on_overflow=1 makes it refuse the completed handshake")
                }
                return result(.reply(to: peer.index), "RST from \(from)'s kernel: the segment from \(to) reached a socket its application has closed or that no longer exists (RFC 9293 §3.10.7)")
            }
            return result(.timer(.unknown), "RST from \(from)")
        }
        if s.isFIN {
            if let c = lastCall(Self.closeCalls.union([.shutdown])) {
                let text = c.event.call == .exit ? "FIN from the end of \(c.event.process?.description ?? "its process"): the kernel closes the sockets a process leaves open"
                    : c.event.call != .shutdown ? "FIN from \(c.event.call)(): \(from) has no more data to send"
                    : "FIN from shutdown(\(c.event.argument("how")?.description ?? "")): \(from) stops sending, still receives"
                return result(.syscall(event: c.index), text)
            }
            return result(.timer(.unknown), "FIN from \(from) with no close() or shutdown() recorded")
        }
        if s.payloadLength > 0 {
            if let c = lastCall(Self.sendCalls) {
                return result(.syscall(event: c.index), "\(s.payloadLength) bytes from \(c.event.call)() on \(from)")
            }
            return result(.timer(.unknown), "\(s.payloadLength) bytes from \(from) with no send() recorded")
        }
        // The answer to a keepalive probe.
        if let probe = lastFromPeer(where: { _ in true }), probe.annotated.findings.contains(.keepAlive),
           s.acknowledgment == probe.segment.sequence + 1 {
            return result(.reply(to: probe.index), "ACK of the keepalive probe: \(from)'s kernel answers at once, so the connection is alive")
        }
        // A pure ACK: answers what it acknowledges.
        if let acked = (selfConnect ? earlier : history.segments[s.flow.reversed] ?? []).last(where: { ($0.segment.flow == s.flow.reversed || selfConnect)
            && $0.segment.sequenceLength > 0 && $0.segment.nextSequence == s.acknowledgment }) {
            let delay = s.time.nanoseconds - acked.segment.time.nanoseconds
            var what = acked.segment.isSYNACK ? "the SYN-ACK: the handshake is complete"
                : acked.segment.isFIN ? "the FIN" : "\(acked.segment.payloadLength) bytes"
            if acked.segment.isSYNACK, let full = owners.fullAcceptQueue(at: s.flow.destination, before: s.time, calls: calls) {
                what += " for \(from), but \(full)"
            }
            // On loopback the kernel sends a reply ACK while it processes the segment:
            // 7–39 µs later in every built-in scenario here; delayed ACKs came
            // 0.34–43 ms later (tcp_delack_timer, per the kernel's events). 200 µs parts them.
            if delay >= 200_000 {
                return result(.timer(.delayedAck), "delayed ACK of \(what) (\(Timestamp.milliseconds(delay)) ms later)")
            }
            return result(.reply(to: acked.index), "ACK of \(what)")
        }
        if let peer = lastFromPeer(where: { _ in true }) {
            return result(.reply(to: peer.index), "ACK from \(from)'s kernel (window \(s.window))")
        }
        return result(.timer(.unknown), "ACK from \(from)")
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
