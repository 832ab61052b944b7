import PacketWire
import TraceModel

/// Why a segment was sent.
public enum SegmentCause: Hashable, Sendable {
    /// A socket call made it: SYN ← connect(), FIN ← close()/shutdown(), data ← send().
    case syscall(event: Int)
    /// The kernel answered another segment: SYN-ACK ← SYN, ACK ← data, RST ← SYN to a closed port.
    case reply(to: Int)
    /// A kernel timer: retransmission, keepalive, delayed ACK, zero-window probe.
    case timer(TimerKind)
    /// Queued inside a system call of a task the trace does not follow (`trace --host`: another
    /// program's socket on the same interface): the kernel's events name the task, not the call.
    case untraced(task: Int32)
}

/// A socket call on the timeline.
public struct TimelineSyscall: Hashable, Sendable {
    public var index: Int
    public var event: SyscallEvent
    /// Indexes of the segments this call made.
    public var caused: [Int] = []
    /// For a call whose return waited on the wire: the segment that let it return.
    public var returnedAfter: Int?
}

/// A captured TCP segment on the timeline.
public struct TimelineSegment: Hashable, Sendable {
    public var index: Int
    public var annotated: AnnotatedSegment
    /// The scenario socket that sent it; nil when the kernel answered for a port with no socket.
    public var sender: String?
    /// The scenario socket it was sent to, when one holds its destination.
    public var receiver: String?
    public var cause: SegmentCause
    /// One line a learner understands.
    public var explanation: String
    /// Endpoint names for the connection's originator and responder (socket names where known).
    public var originatorName: String
    public var responderName: String
    /// Whether the kernel's events attested the cause, or it is inferred.
    public var source: CauseSource = .inferred
    /// The kernel's evidence, when attested.
    public var kernel: KernelEvidence?
    /// Nil when the receiver accepted it (or nothing says otherwise).
    public var fate: SegmentFate?

    public var segment: TCPSegment { annotated.segment }
}

/// A captured UDP datagram or ICMP message on the timeline.
public struct TimelineDatagram: Hashable, Sendable {
    public var index: Int
    public var datagram: Datagram
    public var sender: String?
    public var cause: SegmentCause
    public var explanation: String

    public var frame: Int { datagram.frame }
    public var time: Timestamp { datagram.time }
    /// `udp`, `icmp` or `icmp6`.
    public var proto: TransportProtocol { datagram.proto }
    public var source: SocketAddress { datagram.source }
    public var destination: SocketAddress { datagram.destination }
    /// UDP payload bytes (0 for ICMP).
    public var payloadLength: Int { datagram.payloadLength }
    public var icmpType: UInt8? { datagram.icmpType }
    public var icmpCode: UInt8? { datagram.icmpCode }
    /// For an ICMP error: the UDP datagram it quotes.
    public var quotes: DirectedFlow? { datagram.quotes }

    /// The token flag patterns use: `udp`, `icmp-port-unreachable`, `icmp6-port-unreachable`, `icmp-3/1`.
    public var token: String {
        guard proto != .udp, let t = icmpType, let c = icmpCode else { return proto.rawValue }
        if (proto == .icmp && t == 3 && c == 3) || (proto == .icmp6 && t == 1 && c == 4) { return "\(proto)-port-unreachable" }
        return "\(proto)-\(t)/\(c)"
    }
}

public enum TimelineEntry: Hashable, Sendable {
    case syscall(TimelineSyscall)
    case segment(TimelineSegment)
    case datagram(TimelineDatagram)

    public var time: Timestamp {
        switch self {
        case .syscall(let s): s.event.begin
        case .segment(let s): s.segment.time
        case .datagram(let d): d.time
        }
    }

    public var index: Int {
        switch self {
        case .syscall(let s): s.index
        case .segment(let s): s.index
        case .datagram(let d): d.index
        }
    }
}

/// Everything a report shows: syscalls and segments in time order, each
/// segment with its sender, cause and explanation, and the connections.
public struct Timeline: Hashable, Sendable {
    public var scenario: String?
    public var kernel: String?
    /// Scenario socket names in order of creation.
    public var sockets: [String]
    public var entries: [TimelineEntry]
    public var connections: [Connection]
    /// `attested` when the kernel's events decided the causes, `unavailable: WHY` when they could not be recorded, nil for a plain capture.
    public var kernelEvents: String?
    /// Every TCP state change the kernel made, in time order (empty without kernel events).
    public var stateChanges: [StateChange] = []
    /// The inference checked against the kernel's causes (nil without kernel events).
    public var inference: InferenceAgreement?

    public init(scenario: String?, kernel: String?, sockets: [String], entries: [TimelineEntry], connections: [Connection],
                kernelEvents: String? = nil) {
        self.scenario = scenario
        self.kernel = kernel
        self.sockets = sockets
        self.entries = entries
        self.connections = connections
        self.kernelEvents = kernelEvents
    }

    public var segments: [TimelineSegment] {
        entries.compactMap { if case .segment(let s) = $0 { s } else { nil } }
    }

    public var syscalls: [TimelineSyscall] {
        entries.compactMap { if case .syscall(let s) = $0 { s } else { nil } }
    }

    public var datagrams: [TimelineDatagram] {
        entries.compactMap { if case .datagram(let d) = $0 { d } else { nil } }
    }
}

/// Who decided a segment's cause: the kernel's own events, or synscope's
/// inference from the packets (plain captures, or no tracefs).
public enum CauseSource: String, Hashable, Sendable, Codable {
    case kernel, inferred
}

/// What the kernel's events say about one segment (JSON `kernel`).
public struct KernelEvidence: Hashable, Sendable {
    public enum Context: String, Hashable, Sendable { case syscall, softirq, timer }
    /// Where the segment was queued: inside a system call, while processing a received segment, or in a timer.
    public var context: Context
    /// The kernel timer function that fired (`tcp_delack_timer`…), for `timer`.
    public var timer: String?
    /// tcp_send_reset's reason, for an RST (`NO_SOCKET`, `TCP_ABORT_ON_CLOSE`…).
    public var resetReason: ResetReason?
    /// tcp_retransmit_skb or tcp_retransmit_synack fired for it.
    public var retransmit: Bool
    /// For `syscall` context: the thread that queued it.
    public var thread: Int32?

    public init(context: Context, timer: String? = nil, resetReason: ResetReason? = nil, retransmit: Bool = false, thread: Int32? = nil) {
        self.context = context
        self.timer = timer
        self.resetReason = resetReason
        self.retransmit = retransmit
        self.thread = thread
    }
}

/// A captured segment the receiver did not accept.
public struct SegmentFate: Hashable, Sendable {
    /// The kernel's drop reason (`NETFILTER_DROP`, `NO_SOCKET`, `TCP_LISTEN_OVERFLOW`…).
    public var dropped: DropReason
    /// `kfree_skb` (the drop tracepoint named it), or `counter:NAME` (the counter that moved while it was dropped silently).
    public var evidence: String
}

/// One TCP state change as the kernel made it (sock:inet_sock_set_state).
public struct StateChange: Hashable, Sendable {
    public var time: Timestamp
    /// The scenario's socket, when one holds the addresses.
    public var socket: String?
    public var local: SocketAddress?
    public var remote: SocketAddress?
    /// RFC 9293 names (`SYN-SENT`…).
    public var from: String
    public var to: String
}

/// How often the packet-only inference gives the cause the kernel attested.
public struct InferenceAgreement: Hashable, Sendable {
    public var agree: Int
    public var total: Int
    /// One line per segment where they differ: `#9: kernel reply to #8, inferred caused by #7`.
    public var differences: [String]
}
