import PacketWire
import TraceModel

/// The inference of one segment's cause from the packets and calls before it: a call
/// of the sending socket, a reply to a segment of the peer, or a timer. Used alone on
/// plain captures, and as the cross-check of the kernel's answer on runs with events.
struct Classification {
    let a: AnnotatedSegment
    let s: TCPSegment
    let index: Int
    let owners: SocketOwners
    let calls: [TimelineSyscall]
    let earlier: [TimelineSegment]
    let connection: Connection?
    let history: Correlator.History
    let sender: String?
    let receiver: String?
    let from: String
    let to: String
    let originator: String
    let responder: String
    let selfConnect: Bool

    init(_ a: AnnotatedSegment, index: Int, owners: SocketOwners, calls: [TimelineSyscall],
         earlier: [TimelineSegment], connection: Connection?, history: Correlator.History) {
        let s = a.segment
        self.a = a
        self.s = s
        self.index = index
        self.owners = owners
        self.calls = calls
        self.earlier = earlier
        self.connection = connection
        self.history = history
        // A 4-tuple can carry several connections over a run (TIME-WAIT reuse):
        // its owner is the socket that held it by the end of this connection.
        let until = connection?.end ?? s.time
        sender = owners.sender(of: s, until: until)
        receiver = owners.owner(s.flow.reversed, until: until)
        from = owners.label(s.flow.source, flow: s.flow, reversed: false, until: until)
        to = owners.label(s.flow.destination, flow: s.flow, reversed: true, until: until)
        originator = connection.map { owners.label($0.originator, flow: DirectedFlow($0.originator, $0.responder), reversed: false, until: until) } ?? from
        responder = connection.map { owners.label($0.responder, flow: DirectedFlow($0.originator, $0.responder), reversed: true, until: until) } ?? to
        selfConnect = s.flow.source == s.flow.destination
    }

    func segment() -> TimelineSegment {
        if let t = timer() { return t }
        if s.isBareSYN { return syn() }
        if s.isSYNACK { return synAck() }
        if s.isRST { return reset() }
        if s.isFIN { return fin() }
        if s.payloadLength > 0 { return data() }
        return ack()
    }

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

    /// Keepalive and zero-window probes, and retransmissions: a timer's segments.
    func timer() -> TimelineSegment? {
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
        return nil
    }

    func syn() -> TimelineSegment {
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

    func synAck() -> TimelineSegment {
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

    func reset() -> TimelineSegment {
        // A refusal answers a SYN of a connection that never got a SYN-ACK.
        let answered = history.synAcks.contains { $0.annotated.connection == a.connection }
        if !answered, let syn = lastFromPeer(where: { $0.isBareSYN && $0.nextSequence == s.acknowledgment }) {
            let listensLater = sender.flatMap { owners.listenTime[$0] }.map { $0 > s.time } ?? false
            let why = sender == nil ? "nothing listens on \(from)"
                : listensLater ? "\(from) does not listen yet" : "\(from) is bound but not listening"
            return result(.reply(to: syn.index), "RST from the kernel: \(why), so the SYN is refused")
        }
        // A close() in progress aborts: SO_LINGER 0, unread data, or a listener dropping unaccepted connections.
        let closing = calls.last { Correlator.closeCalls.contains($0.event.call) && $0.event.begin <= s.time && s.time.nanoseconds <= $0.event.end.nanoseconds + 1_000_000 }
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

    func fin() -> TimelineSegment {
        if let c = lastCall(Correlator.closeCalls.union([.shutdown])) {
            let text = c.event.call == .exit ? "FIN from the end of \(c.event.process?.description ?? "its process"): the kernel closes the sockets a process leaves open"
                : c.event.call != .shutdown ? "FIN from \(c.event.call)(): \(from) has no more data to send"
                : "FIN from shutdown(\(c.event.argument("how")?.description ?? "")): \(from) stops sending, still receives"
            return result(.syscall(event: c.index), text)
        }
        return result(.timer(.unknown), "FIN from \(from) with no close() or shutdown() recorded")
    }

    func data() -> TimelineSegment {
        if let c = lastCall(Correlator.sendCalls) {
            return result(.syscall(event: c.index), "\(s.payloadLength) bytes from \(c.event.call)() on \(from)")
        }
        return result(.timer(.unknown), "\(s.payloadLength) bytes from \(from) with no send() recorded")
    }

    /// A pure ACK: the answer to a keepalive probe, or to what it acknowledges.
    func ack() -> TimelineSegment {
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
}
