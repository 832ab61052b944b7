import CSystem
import Glibc
import TraceModel

/// A socket file descriptor.
public struct SocketDescriptor: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
}

/// The one choke point through which a scenario makes every socket call.
///
/// Each call is timed with CLOCK_REALTIME on entry and return, and recorded
/// as a `SyscallEvent` with its arguments, its result or errno, and the
/// kernel's view of the scenario's sockets right after it. Failures such as
/// EINPROGRESS or ECONNREFUSED are outcomes, not control flow. EINTR is
/// recorded and the call retried (unless the run is being stopped). Safe to use from the scenario's threads:
/// its state is kept under one lock, and events are appended in the order
/// the calls return.
public final class SocketCalls: @unchecked Sendable {
    let lock = RecursiveLock()
    var recorded: [SyscallEvent] = []
    var contexts: [Int32: CallContext] = [:]
    /// Every event so far, in the order the calls returned.
    public var events: [SyscallEvent] {
        get { lock.locked { recorded } }
        set { lock.locked { recorded = newValue } }
    }
    /// Scenario names of the sockets, by descriptor.
    private var names: [Int32: String] = [:]
    /// Every socket the scenario made, in order, with its descriptor and inode.
    var sockets: [(name: String, fd: Int32, inode: UInt64, open: Bool)] = []
    /// The last 4-tuple seen for each socket, to follow it into TIME-WAIT.
    var tuples: [String: (local: SocketAddress, remote: SocketAddress)] = [:]
    var locals: [String: SocketAddress] = [:]
    /// Each socket's last snapshot entry (for the short snapshots of many sockets).
    var lastSnapshot: [String: SocketSnapshot] = [:]

    public init() {}

    public func name(of fd: SocketDescriptor) -> String { lock.locked { names[fd.rawValue] ?? "fd\(fd.rawValue)" } }

    // MARK: The calls

    /// socket(2). `kind` is SOCK_STREAM or SOCK_DGRAM.
    @discardableResult
    public func socket(_ name: String, ipv6: Bool, udp: Bool = false, nonBlocking: Bool = false) -> (SocketDescriptor?, SyscallEvent) {
        let family = ipv6 ? AF_INET6 : AF_INET
        let type = Int32(udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
        let args = [SyscallEvent.Argument("domain", .text(ipv6 ? "AF_INET6" : "AF_INET")),
                    .init("type", .text((udp ? "SOCK_DGRAM" : "SOCK_STREAM") + (nonBlocking ? "|SOCK_NONBLOCK" : "")))]
        let event = record(name, fd: -1, .socket, args, { Glibc.socket(family, type, 0) }) { event in
            guard let fd = event.result.map(Int32.init) else { return }
            self.names[fd] = name
            var st = stat()
            fstat(fd, &st)
            self.sockets.append((name, fd, UInt64(st.st_ino), true))
        }
        return (event.result.map { SocketDescriptor(rawValue: Int32($0)) }, event)
    }

    /// setsockopt(2).
    @discardableResult
    public func setOption(_ fd: SocketDescriptor, _ option: SocketOption) -> SyscallEvent {
        let (optname, text) = option.name
        let args = [SyscallEvent.Argument("fd", .int(Int(fd.rawValue))), .init("option", .text(text.rawValue)), .init("value", .text(option.valueText))]
        return record(name(of: fd), fd: fd.rawValue, .setsockopt, args) {
            switch option {
            case .linger(let on, let seconds):
                var l = linger(l_onoff: on ? 1 : 0, l_linger: seconds)
                return setsockopt(fd.rawValue, option.level, optname, &l, socklen_t(MemoryLayout<linger>.size))
            case .reuseAddress(let b), .reusePort(let b), .keepAlive(let b), .noDelay(let b):
                var v: Int32 = b ? 1 : 0
                return setsockopt(fd.rawValue, option.level, optname, &v, socklen_t(MemoryLayout<Int32>.size))
            case .keepIdle(let n), .keepInterval(let n), .keepCount(let n):
                var v = n
                return setsockopt(fd.rawValue, option.level, optname, &v, socklen_t(MemoryLayout<Int32>.size))
            }
        }
    }

    /// fcntl(2) F_SETFL O_NONBLOCK.
    @discardableResult
    public func setNonBlocking(_ fd: SocketDescriptor) -> SyscallEvent {
        record(name(of: fd), fd: fd.rawValue, .fcntl, [.init("fd", .int(Int(fd.rawValue))), .init("cmd", .text("F_SETFL")), .init("flags", .flags(["O_RDWR", "O_NONBLOCK"]))]) {
            fcntl(fd.rawValue, F_SETFL, fcntl(fd.rawValue, F_GETFL) | O_NONBLOCK)
        }
    }

    /// bind(2).
    @discardableResult
    public func bind(_ fd: SocketDescriptor, _ address: SocketAddress) -> SyscallEvent {
        record(name(of: fd), fd: fd.rawValue, .bind, [.init("fd", .int(Int(fd.rawValue))), .init("addr", .address(address))], {
            address.withSockAddr { Glibc.bind(fd.rawValue, $0, $1) }
        }) { _ in self.noteLocal(fd) }
    }

    /// listen(2).
    @discardableResult
    public func listen(_ fd: SocketDescriptor, backlog: Int32) -> SyscallEvent {
        record(name(of: fd), fd: fd.rawValue, .listen, [.init("fd", .int(Int(fd.rawValue))), .init("backlog", .int(Int(backlog)))]) {
            Glibc.listen(fd.rawValue, backlog)
        }
    }

    /// connect(2).
    @discardableResult
    public func connect(_ fd: SocketDescriptor, _ address: SocketAddress) -> SyscallEvent {
        record(name(of: fd), fd: fd.rawValue, .connect, [.init("fd", .int(Int(fd.rawValue))), .init("addr", .address(address))], {
            address.withSockAddr { Glibc.connect(fd.rawValue, $0, $1) }
        }) { _ in self.noteLocal(fd) }
    }

    /// connect(2) with an AF_UNSPEC address: dissolves a UDP socket's association.
    @discardableResult
    public func disconnect(_ fd: SocketDescriptor) -> SyscallEvent {
        record(name(of: fd), fd: fd.rawValue, .connect, [.init("fd", .int(Int(fd.rawValue))), .init("addr", .text("AF_UNSPEC"))]) {
            var sa = sockaddr()
            sa.sa_family = sa_family_t(AF_UNSPEC)
            return Glibc.connect(fd.rawValue, &sa, socklen_t(MemoryLayout<sockaddr>.size))
        }
    }

    /// accept(2); the new socket gets `newName`.
    @discardableResult
    public func accept(_ fd: SocketDescriptor, as newName: String) -> (SocketDescriptor?, SyscallEvent) {
        var peer = sockaddr_storage()
        let event = record(name(of: fd), fd: fd.rawValue, .accept, [.init("fd", .int(Int(fd.rawValue)))], {
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            return withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd.rawValue, $0, &len) }
            }
        }) { event in
            guard let n = event.result else { return }
            let newFD = Int32(n)
            _ = fcntl(newFD, F_SETFD, FD_CLOEXEC)
            self.names[newFD] = newName
            var st = stat()
            fstat(newFD, &st)
            self.sockets.append((newName, newFD, UInt64(st.st_ino), true))
            self.noteLocal(SocketDescriptor(rawValue: newFD))
            event.outputs.append(.init("socket", .text(newName)))
            if let p = SocketAddress(peer) { event.outputs.append(.init("peer", .address(p))) }
            if let local = self.locals[newName] { event.outputs.append(.init("addr", .address(local))) }
        }
        let new = event.result.map { SocketDescriptor(rawValue: Int32($0)) }
        return (new, event)
    }

    /// Blocks SIGPIPE on the calling thread (pthread_sigmask(3)): the signal stays pending for takeSIGPIPE.
    static func blockSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Takes a pending SIGPIPE, if there is one (sigtimedwait(2) with a zero timeout).
    static func takeSIGPIPE() -> Bool {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        var zero = timespec()
        return sigtimedwait(&set, nil, &zero) == SIGPIPE
    }

    /// shutdown(2).
    @discardableResult
    public func shutdown(_ fd: SocketDescriptor, _ how: ShutdownHow) -> SyscallEvent {
        let h: Int32 = switch how {
        case .read: Int32(SHUT_RD)
        case .write: Int32(SHUT_WR)
        case .both: Int32(SHUT_RDWR)
        }
        return record(name(of: fd), fd: fd.rawValue, .shutdown, [.init("fd", .int(Int(fd.rawValue))), .init("how", .text(how.rawValue))]) {
            Glibc.shutdown(fd.rawValue, h)
        }
    }

    /// close(2).
    @discardableResult
    public func close(_ fd: SocketDescriptor) -> SyscallEvent {
        lock.locked {
            noteLocal(fd)
            if let i = sockets.firstIndex(where: { $0.fd == fd.rawValue && $0.open }) { sockets[i].open = false }
        }
        let event = record(name(of: fd), fd: fd.rawValue, .close, [.init("fd", .int(Int(fd.rawValue)))], {
            Glibc.close(fd.rawValue)
        }) { _ in self.names[fd.rawValue] = nil }
        return event
    }

    /// Attaches the counters that moved during a step to the last call the step recorded.
    public func noteCounters(_ moved: [String: Int64], since first: Int) {
        guard !moved.isEmpty, events.count > first else { return }
        events[events.count - 1].counters = moved
    }

    /// Closes every socket the scenario left open, recording each close.
    public func closeAll() {
        let tid = synscope_gettid()
        lock.locked { contexts[tid] = CallContext(thread: nil, step: nil, timeoutMilliseconds: 10_000) }
        for s in lock.locked({ sockets }) where s.open { close(SocketDescriptor(rawValue: s.fd)) }
    }

    func noteLocal(_ fd: SocketDescriptor) {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.getsockname(fd.rawValue, $0, &len) }
        }
        if ok == 0, let a = SocketAddress(storage), a.port != 0 { locals[name(of: fd)] = a }
    }
}
