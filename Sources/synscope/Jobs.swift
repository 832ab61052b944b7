import ArgumentParser
import Dispatch
import Reports

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Where one input file's results go. Straight to stdout when files are
/// processed one at a time. With `--jobs`, a file's output goes to stdout as
/// soon as every file before it is done ("live"); until then it is spooled
/// to a temporary file (tmpfile(3)) and copied out when its turn comes.
final class FileOutput: @unchecked Sendable {
    private var spool: UnsafeMutablePointer<FILE>?
    private var live: Bool
    /// Error lines held back until this file's turn.
    private var diagnostics: [String] = []
    private var isFailed = false
    private let lock = DispatchSemaphore(value: 1)

    init(spooled: Bool) {
        live = !spooled
    }

    deinit { if let spool { fclose(spool) } }

    private func locked<T>(_ body: () -> T) -> T {
        lock.wait()
        defer { lock.signal() }
        return body()
    }

    var failed: Bool { locked { isFailed } }

    func write(_ sink: borrowing ByteSink) {
        locked {
            sink.withUnsafeBytes { raw in
                guard let base = raw.baseAddress, raw.count > 0 else { return }
                if live {
                    StandardOutput.write(raw)
                    return
                }
                if spool == nil {
                    spool = tmpfile()
                    if spool == nil { spoolFailed("create") }
                }
                if fwrite(base, 1, raw.count, spool) != raw.count { spoolFailed("write") }
            }
        }
    }

    func error(_ message: String) {
        locked {
            isFailed = true
            if live { Diagnostics.error(message) } else { diagnostics.append(message) }
        }
    }

    private func spoolFailed(_ what: String) -> Never {
        Diagnostics.error("cannot \(what) a temporary file for --jobs: \(String(cString: strerror(errno)))")
        Glibc.exit(ExitStatus.unreadableInput.rawValue)
    }

    /// This file's turn: copies what was spooled to stdout and the held
    /// diagnostics to stderr; from now on output goes straight out.
    func goLive() {
        locked {
            defer { live = true }
            if let spool {
                if fflush(spool) != 0 { spoolFailed("write") }
                rewind(spool)
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, spool) }
                    if n == 0 { break }
                    buffer.withUnsafeBytes { StandardOutput.write(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
                }
                if ferror(spool) != 0 { spoolFailed("read") }
                fclose(spool)
                self.spool = nil
            }
            for m in diagnostics { Diagnostics.error(m) }
            diagnostics = []
        }
    }
}

enum Jobs {
    /// The number of online CPUs (sysconf(3) `_SC_NPROCESSORS_ONLN`).
    static var defaultCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Runs `body` for every input on up to `jobs` threads and hands each
    /// result to `done` on the calling thread, in input order, as soon as it
    /// and every input before it have finished. Output is in input order. With one job or one input,
    /// everything runs on the calling thread and output is not spooled.
    static func run<Result>(_ inputs: [String], jobs: Int,
                            _ body: @escaping @Sendable (String, FileOutput) -> Result,
                            done: (Result, FileOutput) -> Void) {
        if jobs <= 1 || inputs.count <= 1 {
            for path in inputs {
                let out = FileOutput(spooled: false)
                done(body(path, out), out)
            }
            return
        }
        let outputs = inputs.map { _ in FileOutput(spooled: true) }
        let shared = Shared<Result>()
        let finished = inputs.map { _ in DispatchSemaphore(value: 0) }
        // Threads of our own: libdispatch on Linux adds pool threads only
        // after its monitor sees the first ones busy, too late for short jobs.
        var threads: [pthread_t] = []
        for _ in 0..<min(jobs, inputs.count) {
            let worker = Worker {
                while let i = shared.claim(below: inputs.count) {
                    let r = body(inputs[i], outputs[i])
                    shared.store(r, at: i)
                    finished[i].signal()
                }
            }
            var thread = pthread_t()
            let context = Unmanaged.passRetained(worker).toOpaque()
            let rc = pthread_create(&thread, nil, { context in
                Unmanaged<Worker>.fromOpaque(context!).takeRetainedValue().body()
                return nil
            }, context)
            if rc == 0 {
                threads.append(thread)
            } else {
                Unmanaged<Worker>.fromOpaque(context).release()
                if threads.isEmpty { worker.body() }  // no thread at all: do the work here
            }
        }
        for i in inputs.indices {
            outputs[i].goLive()
            finished[i].wait()
            done(shared.take(i), outputs[i])
        }
        for t in threads { pthread_join(t, nil) }
    }
}

/// What one thread runs (pthread_create(3) takes one pointer of context).
private final class Worker: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

/// The next input to claim and the results not yet handed on, behind one lock.
private final class Shared<Result>: @unchecked Sendable {
    private var next = 0
    private var results: [Int: Result] = [:]
    private let lock = DispatchSemaphore(value: 1)

    private func locked<T>(_ body: () -> T) -> T {
        lock.wait()
        defer { lock.signal() }
        return body()
    }

    func claim(below count: Int) -> Int? {
        locked {
            guard next < count else { return nil }
            next += 1
            return next - 1
        }
    }

    func store(_ r: Result, at i: Int) { locked { results[i] = r } }
    func take(_ i: Int) -> Result { locked { results.removeValue(forKey: i)! } }
}

extension StandardOutput {
    /// Writes `raw` to stdout, retrying on EINTR and partial writes.
    static func write(_ raw: UnsafeRawBufferPointer) {
        guard let base = raw.baseAddress else { return }
        var offset = 0
        while offset < raw.count {
            let n = Glibc.write(1, base + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                Glibc.exit(ExitStatus.unreadableInput.rawValue)
            }
            offset += n
        }
    }
}
