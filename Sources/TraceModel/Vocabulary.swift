/// The typed names synscope's modules share. Each is a string on the wire
/// and in saved runs (Codable as its raw value), and a type everywhere else:
/// no module compares or parses another module's strings.

/// A TCP connection state, RFC 9293 §3.3.2, by the name the RFC gives it;
/// `unknown` where nothing can tell (a capture that started mid-stream).
public enum TCPState: String, Hashable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case unknown = "UNKNOWN"
    case listen = "LISTEN"
    case synSent = "SYN-SENT"
    case synReceived = "SYN-RECEIVED"
    case established = "ESTABLISHED"
    case finWait1 = "FIN-WAIT-1"
    case finWait2 = "FIN-WAIT-2"
    case closeWait = "CLOSE-WAIT"
    case closing = "CLOSING"
    case lastAck = "LAST-ACK"
    case timeWait = "TIME-WAIT"
    case closed = "CLOSED"

    /// The name RFC 9293 uses.
    public var name: String { rawValue }
    public var description: String { rawValue }

    /// The kernel's state number (include/net/tcp_states.h, as /proc/net/tcp and sock_diag give it);
    /// TCP_NEW_SYN_RECV (12), a request socket, is SYN-RECEIVED.
    public init(kernelCode code: Int) {
        switch code {
        case 1: self = .established
        case 2: self = .synSent
        case 3, 12: self = .synReceived
        case 4: self = .finWait1
        case 5: self = .finWait2
        case 6: self = .timeWait
        case 7: self = .closed
        case 8: self = .closeWait
        case 9: self = .lastAck
        case 10: self = .listen
        case 11: self = .closing
        default: self = .unknown
        }
    }

    /// A state by the kernel's name in tracepoints (`TCP_SYN_RECV`, include/trace/events/sock.h).
    public init?(kernelName: String) {
        switch kernelName {
        case "TCP_ESTABLISHED": self = .established
        case "TCP_SYN_SENT": self = .synSent
        case "TCP_SYN_RECV", "TCP_NEW_SYN_RECV": self = .synReceived
        case "TCP_FIN_WAIT1": self = .finWait1
        case "TCP_FIN_WAIT2": self = .finWait2
        case "TCP_TIME_WAIT": self = .timeWait
        case "TCP_CLOSE": self = .closed
        case "TCP_CLOSE_WAIT": self = .closeWait
        case "TCP_LAST_ACK": self = .lastAck
        case "TCP_LISTEN": self = .listen
        case "TCP_CLOSING": self = .closing
        default: return nil
        }
    }
}

/// A system call by the name strace prints (`connect`, `accept4`), or a signal a call raised (`SIGPIPE`).
public struct Syscall: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ name: String) { rawValue = name }
    public var description: String { rawValue }

    public static let socket = Syscall("socket")
    public static let bind = Syscall("bind")
    public static let listen = Syscall("listen")
    public static let connect = Syscall("connect")
    public static let accept = Syscall("accept")
    public static let accept4 = Syscall("accept4")
    public static let send = Syscall("send")
    public static let sendto = Syscall("sendto")
    public static let sendmsg = Syscall("sendmsg")
    public static let recv = Syscall("recv")
    public static let recvfrom = Syscall("recvfrom")
    public static let recvmsg = Syscall("recvmsg")
    public static let read = Syscall("read")
    public static let write = Syscall("write")
    public static let writev = Syscall("writev")
    public static let readv = Syscall("readv")
    public static let shutdown = Syscall("shutdown")
    public static let close = Syscall("close")
    public static let closeRange = Syscall("close_range")
    public static let setsockopt = Syscall("setsockopt")
    public static let getsockopt = Syscall("getsockopt")
    public static let getsockname = Syscall("getsockname")
    public static let getpeername = Syscall("getpeername")
    public static let fcntl = Syscall("fcntl")
    public static let dup = Syscall("dup")
    public static let dup2 = Syscall("dup2")
    public static let dup3 = Syscall("dup3")
    public static let poll = Syscall("poll")
    public static let ppoll = Syscall("ppoll")
    public static let select = Syscall("select")
    public static let pselect6 = Syscall("pselect6")
    public static let epollWait = Syscall("epoll_wait")
    public static let epollPwait = Syscall("epoll_pwait")
    public static let epollCtl = Syscall("epoll_ctl")
    /// Not system calls, recorded on their own lanes: a firewall rule a scenario added (`nft`),
    /// a namespace sysctl it set or read.
    public static let nft = Syscall("nft")
    public static let sysctl = Syscall("sysctl")
    /// A traced process ended with the socket still open (`synscope trace`).
    public static let exit = Syscall("exit")
    /// exit_group(2): the process is ending.
    public static let exitGroup = Syscall("exit_group")
    /// SIGPIPE, raised by a write to a connection the peer reset (signal(7)).
    public static let sigpipe = Syscall("SIGPIPE")

    /// A signal recorded in the call's place (`--- SIGPIPE ---` in strace).
    public var isSignal: Bool { rawValue.hasPrefix("SIG") }
}

/// The kind of kernel timer that sent a segment.
public struct TimerKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// tcp_write_timer or reqsk_timer_handler resending unacknowledged data, a SYN or a SYN-ACK (RFC 6298).
    public static let retransmission = TimerKind(rawValue: "retransmission")
    /// tcp_keepalive_timer probing an idle connection (RFC 9293 §3.8.4).
    public static let keepalive = TimerKind(rawValue: "keepalive")
    /// tcp_delack_timer sending an ACK it held back (RFC 9293 §3.8.6.3).
    public static let delayedAck = TimerKind(rawValue: "delayed-ack")
    /// tcp_write_timer probing a zero window (RFC 9293 §3.8.6.1).
    public static let zeroWindowProbe = TimerKind(rawValue: "zero-window-probe")
    /// Nothing tells which timer or call sent it.
    public static let unknown = TimerKind(rawValue: "unknown")

    /// The kind of the kernel timer function that fired (timer:timer_expire_entry's `function`,
    /// net/ipv4/tcp_timer.c, net/ipv4/inet_connection_sock.c); tcp_write_timer also sends zero-window
    /// probes, which only the segment tells apart. Another function is its own kind, by its name.
    public init(kernelFunction function: String, zeroWindowProbe: Bool) {
        switch function {
        case "tcp_delack_timer", "tcp_delack_timer_handler": self = .delayedAck
        case "tcp_keepalive_timer": self = .keepalive
        case "reqsk_timer_handler": self = .retransmission
        case "tcp_write_timer", "tcp_write_timer_handler": self = zeroWindowProbe ? .zeroWindowProbe : .retransmission
        default: self.init(rawValue: function)
        }
    }
}

/// Why the kernel sent an RST: `tcp_send_reset`'s reason (include/net/rstreason.h).
public struct ResetReason: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let noSocket = ResetReason(rawValue: "NO_SOCKET")
    public static let tcpState = ResetReason(rawValue: "TCP_STATE")
    public static let abortOnClose = ResetReason(rawValue: "TCP_ABORT_ON_CLOSE")
}

/// Why the kernel freed a packet: `kfree_skb`'s reason (include/net/dropreason-core.h).
public struct DropReason: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The socket went away with the packet accepted in its queue: not a drop.
    public static let queuePurge = DropReason(rawValue: "QUEUE_PURGE")
    /// Also how a TIME-WAIT socket frees a segment it has handled: not a drop there.
    public static let notSpecified = DropReason(rawValue: "NOT_SPECIFIED")
    public static let noSocket = DropReason(rawValue: "NO_SOCKET")
    /// The accept queue was full (tcp_conn_request; the kernel counts it in TcpExtListenOverflows, no kfree_skb).
    public static let listenOverflow = DropReason(rawValue: "TCP_LISTEN_OVERFLOW")
    /// The SYN queue was full and cookies are off (TcpExtTCPReqQFullDrop).
    public static let requestQueueFull = DropReason(rawValue: "TCP_REQQFULLDROP")
}

/// The transport of a datagram or error message synscope shows beside the TCP segments.
public enum TransportProtocol: String, Hashable, Sendable, Codable, CustomStringConvertible {
    case udp
    case icmp
    case icmp6
    public var description: String { rawValue }
}

/// A TCP state as the kernel's tracepoints print it (`TCP_SYN_RECV`, include/net/tcp_states.h):
/// kept as printed in `KernelEvent`s, and named as RFC 9293 does through `name`.
public struct KernelTCPState: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let listen = KernelTCPState(rawValue: "TCP_LISTEN")
    public static let synSent = KernelTCPState(rawValue: "TCP_SYN_SENT")
    public static let synRecv = KernelTCPState(rawValue: "TCP_SYN_RECV")
    /// A field the event did not carry.
    public static let unknown = KernelTCPState(rawValue: "UNKNOWN")

    /// The state, when the name is one RFC 9293 has.
    public var state: TCPState? { TCPState(kernelName: rawValue) }

    /// `SYN-RECEIVED` for `TCP_SYN_RECV`; a name RFC 9293 lacks loses its prefix (`TCP_BOUND_INACTIVE` is `BOUND-INACTIVE`).
    public var name: String {
        state?.name ?? String((rawValue.hasPrefix("TCP_") ? rawValue.dropFirst(4) : Substring(rawValue)).map { $0 == "_" ? "-" : $0 })
    }
}
