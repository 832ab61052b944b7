import TraceModel

/// How the builder turns one finished system call (its sys_exit) into events and fd-table changes.
extension TracedCalls.Builder {
    /// One call's outcome, as the kernel returned it: a result, or -errno (Linux returns -1 … -4095 for errors).
    struct Outcome {
        var ok: Bool
        var result: Int?
        var error: Errno?
        var end: Timestamp
        init(_ raw: Int64, end: Timestamp) {
            ok = raw >= 0 || raw < -4095
            result = ok ? Int(raw) : nil
            error = ok ? nil : Errno(rawValue: Int32(-raw))
            self.end = end
        }
    }

    mutating func finish(_ p: TracedCalls.Pending, result raw: Int64, tid: Int32, end: Timestamp) {
        let o = Outcome(raw, end: end)
        switch p.name {
        case .socket: finishSocket(p, o, tid: tid)
        case .closeRange: finishCloseRange(p, o, tid: tid)
        case .dup, .dup2, .dup3, .fcntl: finishDescriptorCopy(p, o, tid: tid)
        case .epollCtl: return
        case .poll, .ppoll, .select, .pselect6, .epollWait, .epollPwait: finishWait(p, o, tid: tid)
        default: finishSocketCall(p, o, tid: tid)
        }
    }

    mutating func finishSocket(_ p: TracedCalls.Pending, _ o: Outcome, tid: Int32) {
        guard p.args.count >= 3, p.args[0] == 2 || p.args[0] == 10 else { out.leftOut += 1; return }
        let table = table(tid)
        let type = p.args[1]
        var typeText = [1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW"][Int(type & 0xf)] ?? "type \(type & 0xf)"
        if type & 0o4000 != 0 { typeText += "|SOCK_NONBLOCK" }
        if type & 0o2000000 != 0 { typeText += "|SOCK_CLOEXEC" }
        let args: [SyscallEvent.Argument] = [.init("domain", .text(p.args[0] == 2 ? "AF_INET" : "AF_INET6")), .init("type", .text(typeText)),
                                             .init("protocol", .int(Int(p.args[2])))]
        guard let newFD = o.result else { record(p, tid: tid, end: o.end, socket: nil, fd: -1, args: args, outputs: [], result: nil, error: o.error); return }
        sockets.append(TracedCalls.Socket(creator: ref(tid), fd: Int32(newFD), family: p.args[0] == 2 ? "AF_INET" : "AF_INET6"))
        table.open(Int32(newFD), sockets.count - 1, cloexec: type & 0o2000000 != 0)
        record(p, tid: tid, end: o.end, socket: sockets.count - 1, fd: Int32(newFD), args: args, outputs: [], result: o.result, error: nil)
    }

    /// close_range(2): a close event for each socket descriptor in the range.
    mutating func finishCloseRange(_ p: TracedCalls.Pending, _ o: Outcome, tid: Int32) {
        let table = table(tid)
        let fd = p.args.first.map { Int32(truncatingIfNeeded: $0) } ?? -1
        let last = p.args.count > 1 ? Int64(bitPattern: p.args[1]) : -1
        for (n, i) in table.fds where n >= fd && (last < 0 || Int64(n) <= last) {
            table.close(n)
            record(p, tid: tid, end: o.end, socket: i, fd: n, name: .close, args: [.init("fd", .int(Int(n)))],
                   outputs: [.init("via", .text("close_range"))], result: o.result, error: o.error)
        }
    }

    /// fcntl F_DUPFD (0) and F_DUPFD_CLOEXEC (1030) copy a descriptor, F_SETFD (2) sets its
    /// FD_CLOEXEC; dup and dup2 give a copy without it, dup3 with O_CLOEXEC one with it.
    mutating func finishDescriptorCopy(_ p: TracedCalls.Pending, _ o: Outcome, tid: Int32) {
        let table = table(tid)
        let fd = p.args.first.map { Int32(truncatingIfNeeded: $0) } ?? -1
        let command = p.args.count > 1 ? p.args[1] : 0
        if p.name == .fcntl, command == 2, o.ok, table.fds[fd] != nil {
            if p.args.count > 2, p.args[2] & 1 != 0 { table.cloexec.insert(fd) } else { table.cloexec.remove(fd) }
            return
        }
        if p.name == .fcntl, command != 0 && command != 1030 { return }
        if p.name == .dup2 || p.name == .dup3, p.args.count > 1, o.ok { table.close(Int32(truncatingIfNeeded: p.args[1])) }
        let cloexec = p.name == .fcntl ? command == 1030 : p.name == .dup3 && p.args.count > 2 && p.args[2] & 0o2000000 != 0
        if let i = table.fds[fd], let n = o.result { table.open(Int32(n), i, cloexec: cloexec) }
    }

    /// Which descriptors a wait watches is behind a pointer; a wait is shown on the
    /// socket its thread uses next, merged with the waits before it.
    mutating func finishWait(_ p: TracedCalls.Pending, _ o: Outcome, tid: Int32) {
        guard table(tid).fds.isEmpty == false else { out.leftOut += 1; return }
        var e = SyscallEvent(socket: "", fd: -1, call: p.name, arguments: waitArguments(p), result: o.result, error: o.error,
                             begin: p.time, end: o.end)
        e.tid = tid
        e.process = ref(tid)
        if let w = waiting[tid] {
            e.begin = w.event.begin
            waiting[tid] = (e, w.count + 1)
        } else {
            waiting[tid] = (e, 1)
        }
    }

    /// A call on a socket descriptor: close, listen, connect, accept, the reads and writes, shutdown, the options.
    mutating func finishSocketCall(_ p: TracedCalls.Pending, _ o: Outcome, tid: Int32) {
        let table = table(tid)
        let fd = p.args.first.map { Int32(truncatingIfNeeded: $0) } ?? -1
        guard let i = table.fds[fd] else { out.leftOut += 1; return }
        if p.name == .close { table.close(fd) }
        var args: [SyscallEvent.Argument] = [.init("fd", .int(Int(fd)))]
        var outputs: [SyscallEvent.Argument] = []
        var newSocket: Int?
        let destination = learn(p.facts, socket: i, call: p.name)
        switch p.name {
        case .listen:
            if p.args.count > 1 { args.append(.init("backlog", .int(Int(Int32(truncatingIfNeeded: p.args[1]))))) }
            if let l = sockets[i].local, sockets[i].listening { outputs.append(.init("addr", .address(l))) }
        case .connect:
            if let d = destination { args.append(.init("addr", .address(d))) }
        case .accept, .accept4:
            if p.name == .accept4, p.args.count > 3 { args.append(.init("flags", .flags(acceptFlags(p.args[3])))) }
            if let n = o.result {
                sockets.append(TracedCalls.Socket(creator: ref(tid), fd: Int32(n), family: sockets[i].family, accepted: true))
                table.open(Int32(n), sockets.count - 1, cloexec: p.name == .accept4 && p.args.count > 3 && p.args[3] & 0o2000000 != 0)
                newSocket = sockets.count - 1
            }
        case .sendto, .recvfrom, .read, .write:
            if p.args.count > 2 { args.append(.init(p.name == .read || p.name == .recvfrom ? "size" : "len", .int(Int(p.args[2])))) }
        case .shutdown:
            if p.args.count > 1 { args.append(.init("how", .text(ShutdownHow.allCases[Int(min(p.args[1], 2))].rawValue))) }
        case .setsockopt, .getsockopt:
            if p.args.count > 2 { args.append(.init("option", .text(SocketOptionName(level: p.args[1], number: p.args[2]).rawValue))) }
            if let error = socketError(p, o, socket: i) { outputs.append(error) }
        default: break
        }
        record(p, tid: tid, end: o.end, socket: i, fd: fd, args: args, outputs: outputs, result: o.result, error: o.error)
        if let newSocket { acceptedOf[socketOf.count - 1] = newSocket }
    }

    /// SO_ERROR returns and clears sk_err, which the kernel sets with an error report
    /// (sk_error_report: tcp_reset, ICMP errors). Its value is behind a pointer; it is
    /// the last report on this socket's 4-tuple since SO_ERROR was last read, else 0,
    /// and left out when the 4-tuple is not known.
    mutating func socketError(_ p: TracedCalls.Pending, _ o: Outcome, socket i: Int) -> SyscallEvent.Argument? {
        guard p.name == .getsockopt, p.args.count > 2, p.args[1] == 1, p.args[2] == 4, o.ok,
              let l = sockets[i].local, let r = sockets[i].remote else { return nil }
        let since = sockets[i].errorRead
        let report = errorReports.last { e in e.flow == DirectedFlow(l, r) && e.time <= o.end && (since.map { e.time > $0 } ?? true) }
        sockets[i].errorRead = o.end
        return .init(SocketOptionName.error.rawValue, .text(report.map { Errno(rawValue: $0.errno).name } ?? "0"))
    }

    func waitArguments(_ p: TracedCalls.Pending) -> [SyscallEvent.Argument] {
        switch p.name {
        case .poll, .ppoll: p.args.count > 1 ? [.init("nfds", .int(Int(p.args[1])))] : []
        case .select, .pselect6: p.args.isEmpty ? [] : [.init("nfds", .int(Int(p.args[0])))]
        default: p.args.isEmpty ? [] : [.init("epfd", .int(Int(p.args[0])))]
        }
    }

    func acceptFlags(_ raw: UInt64) -> [String] {
        var f: [String] = []
        if raw & 0o4000 != 0 { f.append("SOCK_NONBLOCK") }
        if raw & 0o2000000 != 0 { f.append("SOCK_CLOEXEC") }
        return f
    }
}
