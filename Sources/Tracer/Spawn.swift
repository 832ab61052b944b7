import CSystem
import Glibc
import TraceModel

/// A command started held at a gate: forked, waiting to exec until `release()`,
/// so that a tracing instance can follow it from its first system call.
final class GatedChild {
    let pid: pid_t
    private var gate: Int32
    private let report: Int32

    /// Why the command could not start. One that is found but cannot be executed (EACCES, ENOEXEC)
    /// fails at exec instead, and `release()` returns its errno.
    enum Failure: Error { case notFound(String), system(String) }

    /// Forks `argv` (PATH is searched as execvp(3) does when argv[0] has no slash).
    init(_ argv: [String]) throws(Failure) {
        guard let first = argv.first else { throw .system("no command") }
        let path = try Self.resolve(first)
        var gatePipe: [Int32] = [-1, -1], reportPipe: [Int32] = [-1, -1]
        guard pipe(&gatePipe) == 0, pipe(&reportPipe) == 0 else {
            throw .system("pipe: \(String(cString: strerror(errno)))")
        }
        for fd in gatePipe + reportPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = []
        var e = environ
        while let entry = e.pointee { cEnv.append(strdup(entry)); e += 1 }
        cEnv.append(nil)
        defer { for p in cArgs + cEnv { free(p) } }
        let child = synscope_spawn_gated(path, &cArgs, &cEnv, gatePipe[0], gatePipe[1], reportPipe[1])
        close(gatePipe[0])
        close(reportPipe[1])
        guard child > 0 else {
            close(gatePipe[1]); close(reportPipe[0])
            throw .system("fork: \(String(cString: strerror(errno)))")
        }
        pid = child
        gate = gatePipe[1]
        report = reportPipe[0]
    }

    deinit {
        if gate >= 0 { close(gate) }
        close(report)
    }

    /// Lets the child exec; returns the exec's errno when it failed (the child then exits 127).
    func release() -> Int32? {
        close(gate)
        gate = -1
        var e: Int32 = 0
        while true {
            let n = read(report, &e, MemoryLayout<Int32>.size)
            if n < 0 && errno == EINTR { continue }
            return n == MemoryLayout<Int32>.size ? e : nil
        }
    }

    /// execvp(3)'s search: a name with a slash is used as it is, otherwise the first executable in PATH.
    static func resolve(_ name: String) throws(Failure) -> String {
        if name.contains("/") {
            guard access(name, F_OK) == 0 else { throw .notFound(name) }
            return name
        }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            var st = stat()
            if stat(candidate, &st) == 0, st.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
        }
        throw .notFound(name)
    }
}

/// Waiting for and stopping the traced processes. synscope is made a child subreaper
/// (prctl(2)), so every descendant whose parent ends is re-parented to it and can be
/// found, stopped and reaped: none outlives the run.
enum ProcessTree {
    static func becomeSubreaper() { _ = synscope_set_subreaper() }

    /// waitpid(pid, WNOHANG): the shell-style status once it ended (code, or 128 + signal).
    static func poll(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return nil }
        return shellStatus(status)
    }

    static func shellStatus(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// This process's children (/proc/self/task/*/children, proc(5)).
    static func children() -> [pid_t] {
        var result: [pid_t] = []
        guard let dir = opendir("/proc/self/task") else { return [] }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard Int32(name) != nil, let f = fopen("/proc/self/task/\(name)/children", "r") else { continue }
            var bytes: [UInt8] = []
            while true {
                let c = fgetc(f)
                if c == EOF { break }
                bytes.append(UInt8(c))
            }
            fclose(f)
            let text = String(decoding: bytes, as: UTF8.self)
            result += text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { pid_t($0) }
        }
        return result
    }

    /// Reaps what has ended; stops what is left: after `patience` nanoseconds (a process that
    /// was just sent a signal by COMMAND may be on its way out), SIGTERM, then SIGKILL after
    /// `grace` more, until synscope has no child. Returns how many had to be signalled.
    static func stopAll(grace: Int64, patience: Int64 = 300_000_000) -> Int {
        var stopped = Set<pid_t>()
        let start = now()
        while true {
            var status: Int32 = 0
            while waitpid(-1, &status, WNOHANG) > 0 {}
            let left = children()
            if left.isEmpty { return stopped.count }
            if now() - start < patience { usleep(10_000); continue }
            let signal = now() - start >= patience + grace ? SIGKILL : SIGTERM
            for pid in left where signal == SIGKILL || !stopped.contains(pid) {
                kill(pid, signal)
                stopped.insert(pid)
            }
            usleep(10_000)
        }
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
