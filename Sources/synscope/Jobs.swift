import ArgumentParser
import Dispatch
import Reports

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Where one input file's results go: straight to stdout, or, when several
/// files are processed at once (`--jobs`), to a temporary file that is copied
/// to stdout in input order once the files before it are done.
final class FileOutput: @unchecked Sendable {
    private let spool: UnsafeMutablePointer<FILE>?
    /// Error lines, printed to stderr when this file's turn comes.
    private(set) var diagnostics: [String] = []
    private(set) var failed = false

    /// `spooled`: hold the output in a temporary file (tmpfile(3)).
    init(spooled: Bool) throws {
        if spooled {
            guard let f = tmpfile() else {
                Diagnostics.error("cannot create a temporary file for --jobs: \(String(cString: strerror(errno)))")
                throw ExitCode(ExitStatus.unreadableInput.rawValue)
            }
            spool = f
        } else {
            spool = nil
        }
    }

    deinit { if let spool { fclose(spool) } }

    func write(_ sink: ByteSink) {
        sink.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            if let spool {
                if fwrite(base, 1, raw.count, spool) != raw.count { spoolFailed() }
            } else {
                StandardOutput.write(raw)
            }
        }
    }

    func error(_ message: String) {
        failed = true
        if spool == nil { Diagnostics.error(message) } else { diagnostics.append(message) }
    }

    private func spoolFailed() {
        Diagnostics.error("cannot write a temporary file for --jobs: \(String(cString: strerror(errno)))")
        Glibc.exit(ExitStatus.unreadableInput.rawValue)
    }

    /// Copies the spooled output to stdout and the diagnostics to stderr.
    func replay() {
        guard let spool else { return }
        if fflush(spool) != 0 { spoolFailed() }
        rewind(spool)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, spool) }
            if n == 0 { break }
            buffer.withUnsafeBytes { StandardOutput.write(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
        }
        if ferror(spool) != 0 { spoolFailed() }
        for m in diagnostics { Diagnostics.error(m) }
    }
}

enum Jobs {
    /// The number of online CPUs (sysconf(3) `_SC_NPROCESSORS_ONLN`).
    static var defaultCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Runs `body` for every input on up to `jobs` threads and hands each
    /// result to `done` on the calling thread, in input order, as soon as it
    /// and every input before it have finished. With one job or one input,
    /// everything runs on the calling thread and output is not spooled.
    static func run<Result>(_ inputs: [String], jobs: Int,
                            _ body: @escaping @Sendable (String, FileOutput) -> Result,
                            done: (Result, FileOutput) -> Void) throws {
        if jobs <= 1 || inputs.count <= 1 {
            for path in inputs {
                let out = try FileOutput(spooled: false)
                done(body(path, out), out)
            }
            return
        }
        let outputs = try inputs.map { _ in try FileOutput(spooled: true) }
        let shared = Shared<Result>()
        let finished = inputs.map { _ in DispatchSemaphore(value: 0) }
        let group = DispatchGroup()
        for _ in 0..<min(jobs, inputs.count) {
            DispatchQueue.global().async(group: group) {
                while let i = shared.claim(below: inputs.count) {
                    let r = body(inputs[i], outputs[i])
                    shared.store(r, at: i)
                    finished[i].signal()
                }
            }
        }
        for i in inputs.indices {
            finished[i].wait()
            let r = shared.take(i)
            outputs[i].replay()
            done(r, outputs[i])
        }
        group.wait()
    }
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
