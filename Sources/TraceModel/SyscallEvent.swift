/// An errno value by its symbolic name, as `errno(3)` and packetdrill print
/// it (`ECONNREFUSED`). Unknown values keep their number.
public struct Errno: RawRepresentable, Hashable, Sendable, CustomStringConvertible, Error {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    // Linux asm-generic/errno-base.h and errno.h values.
    public static let interrupted = Errno(rawValue: 4)            // EINTR
    public static let badFileDescriptor = Errno(rawValue: 9)      // EBADF
    public static let wouldBlock = Errno(rawValue: 11)            // EAGAIN / EWOULDBLOCK
    public static let invalidArgument = Errno(rawValue: 22)       // EINVAL
    public static let brokenPipe = Errno(rawValue: 32)            // EPIPE
    public static let addressFamilyNotSupported = Errno(rawValue: 97) // EAFNOSUPPORT
    public static let addressInUse = Errno(rawValue: 98)          // EADDRINUSE
    public static let addressNotAvailable = Errno(rawValue: 99)   // EADDRNOTAVAIL
    public static let networkUnreachable = Errno(rawValue: 101)   // ENETUNREACH
    public static let connectionAborted = Errno(rawValue: 103)    // ECONNABORTED
    public static let connectionReset = Errno(rawValue: 104)      // ECONNRESET
    public static let isConnected = Errno(rawValue: 106)          // EISCONN
    public static let notConnected = Errno(rawValue: 107)         // ENOTCONN
    public static let timedOut = Errno(rawValue: 110)             // ETIMEDOUT
    public static let connectionRefused = Errno(rawValue: 111)    // ECONNREFUSED
    public static let hostUnreachable = Errno(rawValue: 113)      // EHOSTUNREACH
    public static let alreadyInProgress = Errno(rawValue: 114)    // EALREADY
    public static let inProgress = Errno(rawValue: 115)           // EINPROGRESS
    public static let permissionDenied = Errno(rawValue: 13)      // EACCES
    public static let notPermitted = Errno(rawValue: 1)           // EPERM

    /// `ECONNREFUSED`, or `errno 42` for a value without a name here.
    public var name: String { Self.table[rawValue]?.0 ?? "errno \(rawValue)" }
    /// `strerror(3)`'s text on Linux.
    public var message: String { Self.table[rawValue]?.1 ?? "Unknown error \(rawValue)" }
    public var description: String { name }

    /// The errno with this symbolic name; aliases give their value (`EWOULDBLOCK` is `EAGAIN`).
    /// Every name of asm-generic/errno-base.h and errno.h (ErrnoNames.swift, tools/gen-errno).
    public init?(name: String) {
        guard let value = Self.values[name] else { return nil }
        rawValue = value
    }
}

/// One value of a syscall argument or result, typed so that reports can
/// print it the way strace and packetdrill do.
public enum SyscallValue: Hashable, Sendable, Codable, CustomStringConvertible {
    case int(Int)
    case address(SocketAddress)
    case flags([String])
    case text(String)

    public var description: String {
        switch self {
        case .int(let n): String(n)
        case .address(let a): a.hostPort
        case .flags(let f): f.isEmpty ? "0" : f.joined(separator: "|")
        case .text(let t): t
        }
    }
}

/// The kernel's view of one socket after a call: its TCP state and queues,
/// from sock_diag or /proc/net/tcp.
public struct SocketSnapshot: Hashable, Sendable, Codable {
    /// The scenario's name for the socket (`client`, `listener`, …).
    public var socket: String
    /// Its state (`SYN-SENT`, `TIME-WAIT`, …), or CLOSED when the kernel no longer has it.
    public var state: TCPState
    public var local: SocketAddress?
    public var remote: SocketAddress?
    /// Receive queue: bytes unread, or for a listener the accept-queue length.
    public var receiveQueue: Int
    /// Send queue: bytes not yet acknowledged (0 for a listener in /proc/net/tcp).
    public var sendQueue: Int
    /// For a listener: half-open connections in its SYN queue (request sockets).
    public var synQueue: Int?

    public init(socket: String, state: TCPState, local: SocketAddress?, remote: SocketAddress?, receiveQueue: Int, sendQueue: Int) {
        self.socket = socket
        self.state = state
        self.local = local
        self.remote = remote
        self.receiveQueue = receiveQueue
        self.sendQueue = sendQueue
    }
}

/// One socket call made by a scenario, as the choke point recorded it.
public struct SyscallEvent: Hashable, Sendable, Codable {
    /// The scenario's name for the socket the call was made on.
    public var socket: String
    /// The file descriptor (-1 before `socket()` returned one).
    public var fd: Int32
    /// The call: `socket`, `bind`, `listen`, `connect`, `accept`, `send`, `recv`, `shutdown`, `close`, …
    public var call: Syscall
    /// Named arguments in call order.
    public var arguments: [Argument]
    /// The return value (a new fd, a byte count, 0), or nil when the call failed.
    public var result: Int?
    /// The errno of a failed call.
    public var error: Errno?
    /// CLOCK_REALTIME when the call was entered and when it returned (the clock of pcap timestamps).
    public var begin: Timestamp
    public var end: Timestamp
    /// Values the call reported besides its result: the peer of `accept()`, the name from `getsockname()`, `SO_ERROR`.
    public var outputs: [Argument]
    /// The kernel's view of the scenario's sockets right after the call.
    public var snapshot: [SocketSnapshot]
    /// The scenario thread that made the call (nil for the main one), and its kernel thread id (gettid(2)).
    public var thread: String?
    public var tid: Int32?
    /// The scenario step the call belongs to (nil in runs saved before steps were recorded).
    public var step: Int?
    /// The namespace's counters that moved during the call's step (/proc/thread-self/net/netstat and snmp), by nstat name.
    public var counters: [String: Int64]?
    /// The traced program that made the call (`synscope trace`): its name and process id; nil in scenario runs.
    public var process: ProcessRef?

    /// A traced process: the name the kernel gives it (comm, after its last exec) and its pid (tgid).
    public struct ProcessRef: Hashable, Sendable, Codable, CustomStringConvertible {
        public var name: String
        public var pid: Int32
        public init(name: String, pid: Int32) { self.name = name; self.pid = pid }
        /// `curl[415]`.
        public var description: String { "\(name)[\(pid)]" }
    }

    public struct Argument: Hashable, Sendable, Codable {
        public var name: String
        public var value: SyscallValue
        public init(_ name: String, _ value: SyscallValue) { self.name = name; self.value = value }
    }

    public init(socket: String, fd: Int32, call: Syscall, arguments: [Argument], result: Int?, error: Errno?,
                begin: Timestamp, end: Timestamp, outputs: [Argument] = [], snapshot: [SocketSnapshot] = []) {
        self.socket = socket
        self.fd = fd
        self.call = call
        self.arguments = arguments
        self.result = result
        self.error = error
        self.begin = begin
        self.end = end
        self.outputs = outputs
        self.snapshot = snapshot
    }

    public func argument(_ name: String) -> SyscallValue? {
        arguments.first { $0.name == name }?.value
    }

    /// `connect(fd=3, addr=127.0.0.1:8080) = -1 ECONNREFUSED (Connection refused)`.
    public var strace: String {
        // A signal the call raised, as strace prints one (`--- SIGPIPE ---`).
        if call.isSignal && arguments.isEmpty { return "--- \(call) --- raised by the call before; blocked and taken, so the process survives" }
        let args = arguments.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
        let outcome: String
        if let error { outcome = "-1 \(error.name) (\(error.message))" } else { outcome = String(result ?? 0) }
        var text = "\(call)(\(args)) = \(outcome)"
        // What the call handed back besides its result (the accepted peer, SO_ERROR, revents, the bytes read).
        let shown = outputs.filter { $0.name != "socket" }
        if !shown.isEmpty {
            text += " → " + shown.map { o in
                let value = o.value.description
                return o.name == "data" ? "\"" + String(value.prefix(24)) + (value.count > 24 ? "…" : "") + "\"" : "\(o.name)=\(value)"
            }.joined(separator: ", ")
        }
        return text
    }
}
