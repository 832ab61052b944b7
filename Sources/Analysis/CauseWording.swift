import PacketWire
import TraceModel

/// The words for what the kernel attested: reset and drop reasons, timers,
/// and the cause of a segment whose inferred explanation the kernel
/// contradicts. Reports print these strings; nothing else builds them.
public enum CauseWording {
    /// tcp_send_reset reasons (include/net/dropreason-core.h, enum sk_rst_reason)
    /// in synscope's words, as the README's table lists them.
    public static let resetReasons: [(reason: String, meaning: String)] = [
        ("NO_SOCKET", "no socket has the destination address and port in a state that accepts the segment (nothing listens, or the socket is only bound)"),
        ("TCP_ABORT_ON_CLOSE", "close() found unread data in the receive buffer, so it aborts the connection (RFC 9293 §3.6.1, RFC 2525 §2.17)"),
        ("TCP_ABORT_ON_LINGER", "the FIN-WAIT-2 time (TCP_LINGER2) ran out, so the connection is aborted"),
        ("TCP_ABORT_ON_DATA", "data arrived for a socket the application has closed"),
        ("TCP_ABORT_ON_MEMORY", "the kernel ran short of socket memory and aborts the connection"),
        ("TCP_STATE", "the socket is aborted from its state: SO_LINGER {on, 0}, or a listener closed while connections waited in its accept queue"),
        ("TCP_TIMEWAIT_SOCKET", "a TIME-WAIT socket answers a segment it cannot accept"),
        ("TCP_KEEPALIVE_TIMEOUT", "the keepalive probes went unanswered (TCP_KEEPCNT), so the connection is dropped"),
        ("TCP_DISCONNECT_WITH_DATA", "connect(AF_UNSPEC) or a disconnect with unread data aborts the connection"),
        ("INVALID_SYN", "the SYN or the handshake's ACK is not acceptable here (with tcp_abort_on_overflow=1: the accept queue is full)"),
        ("TCP_FLAGS", "the segment's flags are not acceptable in the receiver's state"),
        ("TCP_OLD_ACK", "the segment acknowledges data that was never sent"),
        ("TCP_INVALID_ACK_SEQUENCE", "the ACK number is outside the acceptable range"),
        ("NOT_SPECIFIED", "the kernel gave no reason"),
    ]

    /// kfree_skb drop reasons (include/net/dropreason-core.h) synscope explains;
    /// others are shown as the kernel names them.
    public static let dropReasons: [(reason: String, meaning: String)] = [
        ("NO_SOCKET", "no socket accepts it (the kernel answers with an RST)"),
        ("NETFILTER_DROP", "a firewall rule (nftables) dropped it"),
        ("TCP_LISTEN_OVERFLOW", "the listener's accept queue is full, so the kernel drops it (TcpExtListenOverflows moves; a SYN goes without a kfree_skb)"),
        ("TCP_REQQFULLDROP", "the listener's SYN queue is full and SYN cookies are off: the kernel drops the SYN silently (TcpExtTCPReqQFullDrop moves)"),
        ("TCP_INVALID_SYN", "a SYN where none is acceptable (a retransmitted SYN-ACK at an established socket draws a challenge ACK, RFC 5961 §4)"),
        ("TCP_OLD_DATA", "it carries only sequence space the receiver already has (a duplicate, answered with a duplicate ACK)"),
        ("TCP_OLD_SEQUENCE", "its sequence numbers are all before the receive window: a duplicate"),
        ("TCP_INVALID_SEQUENCE", "its sequence numbers are outside the receive window"),
        ("TCP_RESET", "it is an RST, which ends the connection"),
        ("TCP_CLOSE", "it arrived for a socket that is already closed"),
        ("TCP_FLAGS", "its flags are not acceptable in the receiver's state"),
        ("TCP_OFOMERGE", "its data was already queued out of order"),
        ("SOCKET_FILTER", "a socket filter dropped it"),
    ]

    static func meaning(_ reason: String, in table: [(reason: String, meaning: String)]) -> String? {
        table.first { $0.reason == reason }?.meaning
    }

    /// `delayed-ack`, `retransmission`… for a kernel timer function, in the
    /// vocabulary of inferred timer causes.
    public static func timerKind(_ function: String, segment: AnnotatedSegment) -> TimerKind {
        TimerKind(kernelFunction: function, zeroWindowProbe: segment.findings.contains(.zeroWindowProbe))
    }

    /// `SYN`, `SYN-ACK`, `FIN`, `RST`, `4 bytes`, `ACK`.
    static func what(_ s: TCPSegment) -> String {
        if s.isRST { return "RST" }
        if s.isSYNACK { return "SYN-ACK" }
        if s.isBareSYN { return "SYN" }
        if s.isFIN { return s.payloadLength > 0 ? "FIN with \(s.payloadLength) bytes" : "FIN" }
        if s.payloadLength > 0 { return "\(s.payloadLength) bytes" }
        return "ACK"
    }

    /// The explanation of an RST the kernel sent with `reason`.
    static func reset(_ reason: ResetReason, segment s: TCPSegment, closing: SyscallEvent?, listener: Bool, lingerZero: Bool) -> String {
        var why = meaning(reason.rawValue, in: resetReasons) ?? "reason \(reason)"
        if reason == .noSocket {
            why = "no socket has \(s.flow.source.hostPort) in a state that accepts the segment"
        } else if reason == .tcpState, let c = closing {
            why = listener ? "\(c.call)() of the listening socket \(c.socket) aborts the connection still waiting in its accept queue"
                : lingerZero ? "SO_LINGER {on, 0} makes \(c.call)() on \(c.socket) abort the connection instead of closing it"
                : why
        }
        return "kernel tcp_send_reset, reason \(reason): \(why)"
    }

    /// The explanation of a cause the kernel attested where the inference said otherwise.
    static func kernel(_ cause: SegmentCause, segment s: TCPSegment, evidence: KernelEvidence, call: SyscallEvent?, replyTo: TCPSegment?) -> String {
        let what = what(s)
        switch cause {
        case .syscall:
            guard let call else { return "\(what) queued by the kernel inside a system call" }
            return "\(what) queued by the kernel inside \(call.call)() on \(call.socket)"
        case .reply:
            guard let r = replyTo else { return "\(what) sent by the kernel while it processed a received segment" }
            let side = evidence.context == .syscall ? " (from the socket's backlog, inside \(call.map { "\($0.call)()" } ?? "a system call"))" : ""
            return "\(what) sent by the kernel while it processed the [\(r.flags.tcpdumpNotation)] from \(r.flow.source.hostPort)\(side)"
        case .timer(let kind):
            return "\(what) sent when the kernel timer \(evidence.timer ?? kind.rawValue) fired (\(kind))"
        case .untraced(let task):
            return "\(what) queued by the kernel inside a system call of task \(task), which this trace does not follow"
        }
    }

    /// The explanation of a drop.
    public static func fate(_ f: SegmentFate) -> String {
        let why = meaning(f.dropped.rawValue, in: dropReasons) ?? "reason \(f.dropped)"
        let how = f.evidence.hasPrefix("counter:") ? "the counter \(f.evidence.dropFirst(8)) moved" : "kfree_skb"
        return "dropped by the receiver's kernel (\(f.dropped), \(how)): \(why)"
    }
}
