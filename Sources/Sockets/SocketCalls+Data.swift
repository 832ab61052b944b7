import Glibc
import TraceModel

/// The calls that move data or read a socket's state: send, sendto, recv, poll, getsockname, getsockopt(SO_ERROR).
extension SocketCalls {
    /// sendto(2) of `bytes` to `address` (MSG_NOSIGNAL).
    @discardableResult
    public func sendTo(_ fd: SocketDescriptor, _ bytes: [UInt8], _ address: SocketAddress) -> SyscallEvent {
        record(name(of: fd), fd: fd.rawValue, .sendto, [.init("fd", .int(Int(fd.rawValue))), .init("len", .int(bytes.count)), .init("addr", .address(address))], {
            bytes.withUnsafeBytes { buffer in
                address.withSockAddr { Int32(truncatingIfNeeded: Glibc.sendto(fd.rawValue, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), $0, $1)) }
            }
        }) { _ in self.noteLocal(fd) }
    }

    /// send(2) of `bytes`. With MSG_NOSIGNAL (the default) a write to a reset
    /// socket gives EPIPE alone; with `signal` the kernel also raises SIGPIPE
    /// (send(2)), which the calling thread blocks, takes with sigtimedwait(2)
    /// and records as a `SIGPIPE` event: the process survives.
    @discardableResult
    public func send(_ fd: SocketDescriptor, _ bytes: [UInt8], signal: Bool = false) -> SyscallEvent {
        let flags: [String] = signal ? [] : ["MSG_NOSIGNAL"]
        if signal { Self.blockSIGPIPE() }
        let event = record(name(of: fd), fd: fd.rawValue, .send, [.init("fd", .int(Int(fd.rawValue))), .init("len", .int(bytes.count)), .init("flags", .flags(flags))], {
            bytes.withUnsafeBytes { Int32(truncatingIfNeeded: Glibc.send(fd.rawValue, $0.baseAddress, $0.count, signal ? 0 : Int32(MSG_NOSIGNAL))) }
        })
        if signal, Self.takeSIGPIPE() {
            let now = RealtimeClock.now()
            recordEvent(SyscallEvent(socket: event.socket, fd: fd.rawValue, call: .sigpipe, arguments: [], result: 0, error: nil,
                                     begin: now, end: now, outputs: [.init("signal", .text("SIGPIPE"))]))
        }
        return event
    }

    /// recv(2) of at most `capacity` bytes; the bytes read are in the event's outputs as `data`.
    @discardableResult
    public func recv(_ fd: SocketDescriptor, capacity: Int, nonBlocking: Bool = false) -> ([UInt8], SyscallEvent) {
        var buffer = [UInt8](repeating: 0, count: max(capacity, 1))
        let flags: [String] = nonBlocking ? ["MSG_DONTWAIT"] : []
        let event = record(name(of: fd), fd: fd.rawValue, .recv, [.init("fd", .int(Int(fd.rawValue))), .init("len", .int(capacity)), .init("flags", .flags(flags))], {
            buffer.withUnsafeMutableBytes { Int32(truncatingIfNeeded: Glibc.recv(fd.rawValue, $0.baseAddress, capacity, nonBlocking ? Int32(MSG_DONTWAIT) : 0)) }
        }) { event in
            let n = event.result ?? 0
            if n > 0 { event.outputs.append(.init("data", .text(String(decoding: buffer.prefix(n), as: UTF8.self)))) }
        }
        return (Array(buffer.prefix(max(event.result ?? 0, 0))), event)
    }

    /// getsockname(2); the name is in the event's outputs as `addr`.
    @discardableResult
    public func getsockname(_ fd: SocketDescriptor) -> (SocketAddress?, SyscallEvent) {
        var storage = sockaddr_storage()
        let event = record(name(of: fd), fd: fd.rawValue, .getsockname, [.init("fd", .int(Int(fd.rawValue)))], {
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            return withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.getsockname(fd.rawValue, $0, &len) }
            }
        }) { event in
            if event.error == nil, let a = SocketAddress(storage) { event.outputs.append(.init("addr", .address(a))) }
        }
        return (event.error == nil ? SocketAddress(storage) : nil, event)
    }

    /// getsockopt(SO_ERROR); the pending error is in the outputs as `SO_ERROR`.
    @discardableResult
    public func socketError(_ fd: SocketDescriptor) -> (Errno?, SyscallEvent) {
        var value: Int32 = 0
        let event = record(name(of: fd), fd: fd.rawValue, .getsockopt, [.init("fd", .int(Int(fd.rawValue))), .init("option", .text(SocketOptionName.error.rawValue))], {
            var len = socklen_t(MemoryLayout<Int32>.size)
            return getsockopt(fd.rawValue, SOL_SOCKET, SO_ERROR, &value, &len)
        }) { event in
            event.outputs.append(.init(SocketOptionName.error.rawValue, .text(value == 0 ? "0" : Errno(rawValue: value).name)))
        }
        return (value == 0 ? nil : Errno(rawValue: value), event)
    }

    /// poll(2) for one descriptor; `events` like ["POLLOUT"].
    @discardableResult
    public func poll(_ fd: SocketDescriptor, writable: Bool, timeoutMilliseconds: Int32) -> SyscallEvent {
        var p = pollfd(fd: fd.rawValue, events: Int16(writable ? POLLOUT : POLLIN), revents: 0)
        return record(name(of: fd), fd: fd.rawValue, .poll, [.init("fd", .int(Int(fd.rawValue))), .init("events", .flags([writable ? "POLLOUT" : "POLLIN"])), .init("timeout", .int(Int(timeoutMilliseconds)))], {
            Glibc.poll(&p, 1, timeoutMilliseconds)
        }) { event in
            var revents: [String] = []
            if p.revents & Int16(POLLIN) != 0 { revents.append("POLLIN") }
            if p.revents & Int16(POLLOUT) != 0 { revents.append("POLLOUT") }
            if p.revents & Int16(POLLERR) != 0 { revents.append("POLLERR") }
            if p.revents & Int16(POLLHUP) != 0 { revents.append("POLLHUP") }
            event.outputs.append(.init("revents", .flags(revents)))
        }
    }
}
