import PacketWire
import TraceModel

/// The socket calls of a traced program (`synscope trace`), rebuilt from the kernel's record of
/// its system calls: syscalls:sys_enter_*/sys_exit_* give the call, its fd and its result;
/// task_newtask and sched_process_exec/exit give the processes, their threads and fd tables.
///
/// The tracepoints carry pointers, not the addresses behind them, so an address is taken only
/// from what the kernel reported about the same socket in the call's own context (process
/// context, same task, between the call's entry and exit): inet_sock_set_state (connect's
/// CLOSE→SYN_SENT names the destination, listen's CLOSE→LISTEN the local end, a state change
/// processed from the socket's backlog or by close/shutdown the whole 4-tuple),
/// tcp_rcv_space_adjust (a read's 4-tuple) and inet_sk_error_report. Nothing is guessed: an
/// address no such event gave is left out. Pure: no I/O.
public struct TracedCalls: Sendable {
    /// The calls on IP sockets, in time order; `socket` is the lane (`curl[415] fd 5`).
    public var events: [SyscallEvent] = []
    /// Every task seen (process and thread ids).
    public var threads: [Int32] = []
    public var processes: [TracedProcess] = []
    /// Calls on descriptors that are not IP sockets (files, pipes, terminals, unix sockets), left out.
    public var leftOut = 0
    /// Waits (poll, select, epoll_wait) left out: their thread made no socket call after them.
    public var waitsLeftOut = 0

    public static let cloneThread: UInt64 = 0x10000
    public static let cloneFiles: UInt64 = 0x400

    /// `events` in trace order, from the instance that followed `root` and, merged by time, the
    /// network instance (for error reports). `rootName` is the name of `root` before its exec.
    init() {}

    public init(events: [KernelEvent], root: Int32, rootName: String) {
        var b = Builder(root: root, rootName: rootName)
        for e in events { b.take(e) }
        self = b.finish()
    }
}

/// One process of a traced program.
public struct TracedProcess: Hashable, Sendable, Codable {
    public var pid: Int32
    /// The process that created it (nil for the command itself).
    public var parent: Int32?
    /// Its name after its last exec (comm: the program file's name, at most 15 bytes).
    public var name: String
    /// The programs it executed, in order (sched_process_exec's filename).
    public var programs: [String]
    public var exited: Timestamp?
    public init(pid: Int32, parent: Int32?, name: String, programs: [String] = [], exited: Timestamp? = nil) {
        self.pid = pid
        self.parent = parent
        self.name = name
        self.programs = programs
        self.exited = exited
    }
}

extension TracedCalls {
    /// A socket of the traced program: created by socket() or accept() in one process.
    struct Socket {
        var creator: SyscallEvent.ProcessRef
        var fd: Int32
        var family: String
        var listening = false
        var accepted = false
        var local: SocketAddress?
        var remote: SocketAddress?
        /// When SO_ERROR was last read on it (an error reported before that was consumed).
        var errorRead: Timestamp?
    }

    /// The descriptors of one fd table that name an IP socket (index into `sockets`), and which
    /// of them are close-on-exec (a flag of the descriptor, not of the socket: dup2 clears it).
    final class Table {
        var fds: [Int32: Int]
        var cloexec: Set<Int32>
        init(_ fds: [Int32: Int] = [:], cloexec: Set<Int32> = []) { self.fds = fds; self.cloexec = cloexec }
        func open(_ fd: Int32, _ socket: Int, cloexec flag: Bool) {
            fds[fd] = socket
            if flag { cloexec.insert(fd) } else { cloexec.remove(fd) }
        }
        func close(_ fd: Int32) { fds[fd] = nil; cloexec.remove(fd) }
    }

    struct Pending {
        var name: Syscall
        var args: [UInt64]
        var time: Timestamp
        /// Process-context socket facts seen during the call.
        var facts: [KernelEvent.Kind] = []
    }

    struct Builder {
        var out = TracedCalls()
        var processOf: [Int32: Int32] = [:]
        var names: [Int32: String] = [:]
        var tables: [Int32: Table] = [:]
        var process: [Int32: TracedProcess] = [:]
        var order: [Int32] = []
        var pending: [Int32: Pending] = [:]
        var sockets: [Socket] = []
        /// The socket of each recorded event (index into `sockets`), and of an accept's new socket.
        var socketOf: [Int] = []
        var acceptedOf: [Int: Int] = [:]
        /// A wait of a thread not yet given to a socket: (event, number of waits merged).
        var waiting: [Int32: (event: SyscallEvent, count: Int)] = [:]
        var exitBegan: [Int32: Timestamp] = [:]
        /// inet_sk_error_report events so far: when, on which 4-tuple, which errno (sk_err).
        var errorReports: [(time: Timestamp, flow: DirectedFlow, errno: Int32)] = []

        init(root: Int32, rootName: String) {
            processOf[root] = root
            names[root] = rootName
            tables[root] = Table()
            process[root] = TracedProcess(pid: root, parent: nil, name: rootName)
            order.append(root)
        }

        func ref(_ tid: Int32) -> SyscallEvent.ProcessRef {
            let pid = processOf[tid] ?? tid
            return .init(name: names[pid] ?? "?", pid: pid)
        }

        func table(_ tid: Int32) -> Table { tables[processOf[tid] ?? tid] ?? Table() }

        mutating func take(_ e: KernelEvent) {
            switch e.kind {
            case .newTask(let pid, let comm, let flags):
                let parent = processOf[e.pid] ?? e.pid
                if flags & TracedCalls.cloneThread != 0 {
                    processOf[pid] = parent
                } else {
                    processOf[pid] = pid
                    names[pid] = names[parent] ?? comm
                    let t = tables[parent] ?? Table()
                    tables[pid] = flags & TracedCalls.cloneFiles != 0 ? t : Table(t.fds, cloexec: t.cloexec)
                    process[pid] = TracedProcess(pid: pid, parent: parent, name: names[pid]!)
                    order.append(pid)
                }
            case .exec(let pid, let filename):
                let p = processOf[pid] ?? pid
                let base = filename.split(separator: "/").last.map(String.init) ?? filename
                names[p] = String(base.utf8.prefix(15)) ?? base
                process[p]?.name = names[p]!
                process[p]?.programs.append(filename)
                // execve(2) closes the close-on-exec descriptors.
                if let t = tables[p] { for fd in t.cloexec { t.close(fd) } }
            case .processExit(let pid, let groupDead):
                guard groupDead, let p = processOf[pid] else { return }
                process[p]?.exited = e.time
                exitSockets(p, tid: pid, at: exitBegan[pid] ?? e.time, end: e.time)
            case .syscallEnter(let name, let args):
                if name == .exitGroup { exitBegan[e.pid] = e.time; return }
                pending[e.pid] = Pending(name: name, args: args, time: e.time)
            case .syscallExit(let name, let result):
                guard let p = pending.removeValue(forKey: e.pid), p.name == name else { return }
                finish(p, result: result, tid: e.pid, end: e.time)
            case .setState, .receiveSpace:
                if e.context == .process, pending[e.pid] != nil { pending[e.pid]!.facts.append(e.kind) }
            case .errorReport(let local, let remote, let errno):
                if e.context == .process, pending[e.pid] != nil { pending[e.pid]!.facts.append(e.kind) }
                if let local, let remote { errorReports.append((e.time, DirectedFlow(local, remote), errno)) }
            default:
                break
            }
        }

        /// The 4-tuple and role facts a call's own context gave about its socket.
        mutating func learn(_ facts: [KernelEvent.Kind], socket i: Int, call: Syscall) -> SocketAddress? {
            var destination: SocketAddress?
            for f in facts {
                switch f {
                case .setState(let l, let r, let old, let new, _):
                    // close() of a listener also closes its unaccepted children: only its own LISTEN change counts.
                    if sockets[i].listening && old != .listen { continue }
                    if new == .listen { sockets[i].listening = true; sockets[i].local = l; continue }
                    if new == .synSent, let r, r.port != 0 { destination = r }
                    if let l, let r, l.port != 0, r.port != 0 { sockets[i].local = l; sockets[i].remote = r }
                case .receiveSpace(let l, let r), .errorReport(let l, let r, _):
                    if let l, let r, l.port != 0, r.port != 0 { sockets[i].local = l; sockets[i].remote = r }
                default: break
                }
            }
            if call == .connect, destination == nil { destination = sockets[i].remote }
            return destination
        }

        mutating func record(_ p: Pending, tid: Int32, end: Timestamp, socket: Int?, fd: Int32, name: Syscall? = nil,
                             args: [SyscallEvent.Argument], outputs: [SyscallEvent.Argument], result: Int?, error: Errno?) {
            guard let socket else { out.leftOut += 1; return }
            if var w = waiting.removeValue(forKey: tid) {
                if w.count > 1 { w.event.outputs.append(.init("waits", .int(w.count))) }
                w.event.fd = fd
                append(w.event, socket: socket)
            }
            var e = SyscallEvent(socket: "", fd: fd, call: name ?? p.name, arguments: args, result: result, error: error,
                                 begin: p.time, end: end, outputs: outputs)
            e.tid = tid
            e.process = ref(tid)
            append(e, socket: socket)
        }

        mutating func append(_ e: SyscallEvent, socket: Int) {
            out.events.append(e)
            socketOf.append(socket)
        }

        /// A process's end closes the sockets it still holds (exit_files in kernel/exit.c), in its
        /// own context: one `exit` event per socket, from exit_group's entry (or the exit) to the exit.
        mutating func exitSockets(_ pid: Int32, tid: Int32, at begin: Timestamp, end: Timestamp) {
            guard let t = tables[pid] else { return }
            let shared = tables.contains { $0.key != pid && $0.value === t && process[$0.key]?.exited == nil }
            guard !shared else { return }
            for (fd, i) in t.fds.sorted(by: { $0.key < $1.key }) {
                var e = SyscallEvent(socket: "", fd: fd, call: .exit, arguments: [.init("fd", .int(Int(fd)))], result: 0, error: nil,
                                     begin: begin, end: end)
                e.tid = tid
                e.process = ref(tid)
                append(e, socket: i)
            }
            t.fds = [:]
            t.cloexec = []
        }

        mutating func finish() -> TracedCalls {
            // Calls still running when the trace ended (the program was killed, or still blocked).
            for (tid, p) in pending.sorted(by: { $0.key < $1.key }) {
                guard let i = table(tid).fds[p.args.first.map { Int32(truncatingIfNeeded: $0) } ?? -1] else { continue }
                var e = SyscallEvent(socket: "", fd: Int32(truncatingIfNeeded: p.args[0]), call: p.name, arguments: [.init("fd", .int(Int(p.args[0])))],
                                     result: nil, error: nil, begin: p.time, end: process[processOf[tid] ?? tid]?.exited ?? p.time)
                e.outputs = [.init("unfinished", .text("the trace ended during the call"))]
                e.tid = tid
                e.process = ref(tid)
                append(e, socket: i)
            }
            out.waitsLeftOut = waiting.values.reduce(0) { $0 + $1.count }
            // Lane names, now that roles and ends are known.
            var lanes: [String] = []
            var used: [String: Int] = [:]
            for s in sockets {
                var name = "\(s.creator) fd \(s.fd)"
                if s.listening, let l = s.local { name += " (\(l.hostPort), listening)" }
                else if s.accepted, let r = s.remote { name += " (from \(r.hostPort))" }
                used[name, default: 0] += 1
                if used[name]! > 1 { name += " #\(used[name]!)" }
                lanes.append(name)
            }
            for k in out.events.indices {
                let i = socketOf[k]
                out.events[k].socket = lanes[i]
                if let n = acceptedOf[k] {
                    out.events[k].outputs.append(.init("socket", .text(lanes[n])))
                    if let r = sockets[n].remote { out.events[k].outputs.append(.init("peer", .address(r))) }
                    if let l = sockets[n].local { out.events[k].outputs.append(.init("addr", .address(l))) }
                }
                if out.events[k].call == .connect, out.events[k].error == nil || out.events[k].error == .inProgress,
                   let l = sockets[i].local, sockets[i].remote != nil {
                    out.events[k].outputs.append(.init("local", .address(l)))
                }
            }
            let order = out.events.indices.sorted { (out.events[$0].begin, $0) < (out.events[$1].begin, $1) }
            out.events = order.map { out.events[$0] }
            out.threads = processOf.keys.sorted()
            out.processes = self.order.compactMap { process[$0] }
            return out
        }
    }
}
