import CSystem
import Glibc
import TraceModel

extension KernelTracer {
    /// unshare(CLONE_NEWNS) on this thread (it implies CLONE_FS, allowed in a threaded process, unshare(2)),
    /// mount --make-rprivate /, mount -t tracefs nodev /sys/kernel/tracing; returns instances/ opened.
    static func mountPrivateTracefs() throws(EnvironmentError) -> Int32 {
        guard unshare(CLONE_NEWNS) == 0 else {
            if errno == EPERM { throw EnvironmentError(.privilege, "kernel events need CAP_SYS_ADMIN for a private mount namespace (run synscope as root)") }
            throw failure("unshare(CLONE_NEWNS)")
        }
        guard mount(nil, "/", nil, UInt(MS_REC) | UInt(MS_PRIVATE), nil) == 0 else { throw failure("mount --make-rprivate /") }
        // EBUSY: tracefs is mounted there already (most distributions mount it); this
        // namespace holds a private copy of that mount, which serves as well.
        guard mount("nodev", tracefs, "tracefs", 0, nil) == 0 || (errno == EBUSY && access("\(tracefs)/instances", F_OK) == 0) else {
            if errno == ENODEV { throw EnvironmentError(.tracing, "this kernel has no tracefs") }
            throw failure("mount -t tracefs nodev \(tracefs)")
        }
        let fd = open("\(tracefs)/instances", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("\(tracefs)/instances") }
        return fd
    }

    static func failure(_ what: String) -> EnvironmentError {
        let e = errno
        return EnvironmentError(e == EPERM || e == EACCES ? .privilege : .tracing, "kernel events: \(what): \(String(cString: strerror(e)))")
    }

    static func write(_ dir: Int32, _ path: String, _ text: String) throws(EnvironmentError) {
        let fd = openat(dir, path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open \(path)") }
        defer { close(fd) }
        let line = text + "\n"
        let n = line.withCString { Glibc.write(fd, $0, strlen($0)) }
        guard n == line.utf8.count else { throw failure("write '\(text)' to \(path)") }
    }

    static func read(_ dir: Int32, _ path: String) -> String? {
        let fd = openat(dir, path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads trace_pipe until it is empty (EAGAIN), parsing whole lines; a cut line waits in `carry`.
    static func collect(_ s: inout State) {
        guard s.instance >= 0, !s.readFailed else { return }
        if s.pipe < 0 {
            s.pipe = openat(s.instance, "trace_pipe", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            if s.pipe < 0 { s.readFailed = true; return }
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(s.pipe, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno != EAGAIN { s.readFailed = true }
            if n <= 0 { break }
            var bytes = s.carry
            bytes.append(contentsOf: chunk[0..<n])
            guard let last = bytes.lastIndex(of: 10) else { s.carry = bytes; continue }
            s.carry = Array(bytes[(last + 1)...])
            let text = String(decoding: bytes[..<last], as: UTF8.self)
            for raw in text.split(separator: "\n") {
                guard let line = TraceLineParser.line(raw) else { continue }
                if line.event == "tracing_mark_write", let m = s.marker, line.fields.hasPrefix("synscope-clock \(m.realtime)") {
                    s.markerClock = line.clock
                }
                if let e = TraceLineParser.event(line, offset: s.offset) { s.events.append(e) }
            }
        }
    }

    /// Offset realtime − trace clock. trace_clock "mono" is ktime_get_mono_fast_ns(), i.e. CLOCK_MONOTONIC
    /// (kernel/trace/trace.c, trace_clocks[]). Readings realtime r0, monotonic m0, marker write,
    /// monotonic m1, realtime r1 give offset = (r0 + r1)/2 − (m0 + m1)/2, within ±(r1 − r0)/2 (a few µs at
    /// most, the write included). Text output prints µs (floored), so 500 ns are added to centre each event:
    /// an event's mapped time is within ±0.5 µs + (r1 − r0)/2 of its kernel stamp. stop() checks the
    /// marker's own stamp against [m0, m1].
    static func measureOffset(_ s: inout State) throws(EnvironmentError) {
        let r0 = now(CLOCK_REALTIME), m0 = now(CLOCK_MONOTONIC)
        try write(s.instance, "trace_marker", "synscope-clock \(r0)")
        let m1 = now(CLOCK_MONOTONIC), r1 = now(CLOCK_REALTIME)
        s.offset = (r0 + r1) / 2 - (m0 + m1) / 2 + 500
        s.marker = ((r0 + r1) / 2, m0, m1)
    }

    static func now(_ clock: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// overrun + dropped events over every per_cpu/cpuN/stats.
    static func lost(_ instance: Int32) -> Int {
        var total = 0
        var cpu = 0
        while let text = read(instance, "per_cpu/cpu\(cpu)/stats") {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: ":")
                guard parts.count == 2, let value = Int(parts[1].drop(while: { $0 == " " })) else { continue }
                if parts[0] == "overrun" || parts[0] == "dropped events" { total += value }
            }
            cpu += 1
        }
        return total
    }

    /// Keeps a timer_expire_entry…exit or softirq_entry…exit pair only when an event of the run's device
    /// ran inside it on that CPU; every other timer and softirq of the machine is left out. Brackets nest
    /// per CPU (timers run inside the TIMER softirq).
    static func pruneBrackets(_ events: [KernelEvent]) -> [KernelEvent] {
        var keep = [Bool](repeating: true, count: events.count)
        var open: [Int: [(index: Int, used: Bool)]] = [:]
        func close(_ i: Int, cpu: Int) {
            guard var stack = open[cpu], let top = stack.popLast() else { keep[i] = false; return }
            keep[top.index] = top.used
            keep[i] = top.used
            if top.used, !stack.isEmpty { stack[stack.count - 1].used = true }
            open[cpu] = stack
        }
        for (i, e) in events.enumerated() {
            switch e.kind {
            case .timerEntry, .softirqEntry:
                open[e.cpu, default: []].append((i, false))
                keep[i] = false
            case .timerExit, .softirqExit:
                close(i, cpu: e.cpu)
            case .devQueue, .receive:
                if let n = open[e.cpu]?.count, n > 0 { open[e.cpu]![n - 1].used = true }
            default: break
            }
        }
        for (_, stack) in open { for o in stack where o.used { keep[o.index] = true } }
        return events.indices.filter { keep[$0] }.map { events[$0] }
    }

    /// rmdir instances/synscope-<pid>-* whose pid is gone (kill(pid, 0) fails with ESRCH).
    static func removeStale(in instances: Int32) {
        let copy = dup(instances)
        guard copy >= 0, let dir = fdopendir(copy) else { return }
        defer { closedir(dir) }
        var stale: [String] = []
        while let entry = readdir(dir) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let parts = entryName.split(separator: "-")
            guard parts.count == 3, parts[0] == "synscope", let pid = Int32(parts[1]), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { stale.append(entryName) }
        }
        for entryName in stale { _ = unlinkat(instances, entryName, AT_REMOVEDIR) }
    }
}

/// A short-lived pthread for work that needs its own mount namespace.
enum PrivateThread {
    static func run(_ body: @escaping @Sendable () -> Void) {
        final class Box: @unchecked Sendable { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        guard pthread_create(&thread, nil, { raw in
            let box = Unmanaged<AnyObject>.fromOpaque(raw!).takeRetainedValue() as! Box
            box.body()
            return nil
        }, box) == 0 else {
            Unmanaged<AnyObject>.fromOpaque(box).release()
            return
        }
        pthread_join(thread, nil)
    }
}
