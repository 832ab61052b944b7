import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What one run of the `synscope` binary did.
struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool

    var stdoutLines: [Substring] { Self.lines(stdout) }
    var stderrLines: [Substring] { Self.lines(stderr) }

    /// The lines of `text`, each without its newline; a last line without one still counts.
    static func lines(_ text: String) -> [Substring] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if text.isEmpty || text.hasSuffix("\n") { lines.removeLast() }
        return lines
    }
}

/// Runs the built `synscope` executable as a child process.
enum SynscopeBinary {
    /// The package root: this file is `<root>/Tests/CaptureTests/SynscopeProcess.swift`.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// How long one run may take before it counts as a hang.
    static let timeout: Double = 10

    /// `SYNSCOPE_BIN` if set, else `<root>/.build/debug/synscope`.
    static var path: String {
        if let env = ProcessInfo.processInfo.environment["SYNSCOPE_BIN"], !env.isEmpty { return env }
        return packageRoot.appendingPathComponent(".build/debug/synscope").path
    }

    /// The binary's path. A missing binary is an error, so the test fails
    /// (never skips); the message says how to build it.
    static func locate() throws -> String {
        let path = self.path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
        let env = ProcessInfo.processInfo.environment
        let how = env["SYNSCOPE_BIN"].map { "SYNSCOPE_BIN=\($0)" } ?? "the default location"
        if env["CI"] == "true" {
            throw MissingBinary(description: "CI=true but the synscope binary is missing at \(path) (from \(how)); the CI job must run `swift build` before `swift test`")
        }
        throw MissingBinary(description: "the synscope binary is missing at \(path) (from \(how)); run `swift build` first, or set SYNSCOPE_BIN to a built synscope")
    }

    struct MissingBinary: Error, CustomStringConvertible {
        var description: String
    }

    /// The run outlived `timeout` and was killed.
    struct Hang: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `synscope arguments…`. Throws `Hang` (failing the test) after
    /// killing it if it runs longer than `timeout` seconds, and records an
    /// issue if it dies from a signal.
    static func run(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        let binary = try locate()
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("synscope-run-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        // Files rather than pipes: no reader thread, no deadlock on a full pipe.
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = environment
        try process.run()

        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() >= deadline {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(5_000)
        }
        process.waitUntilExit()
        try out.close()
        try err.close()

        let result = RunResult(
            status: timedOut ? -1 : process.terminationStatus,
            stdout: String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self),
            stderr: String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self),
            timedOut: timedOut)
        if timedOut {
            throw Hang(description: "synscope \(arguments.joined(separator: " ")) hung: killed after \(Int(timeout)) s; stdout so far: \(result.stdout.prefix(500).debugDescription), stderr: \(result.stderr.prefix(500).debugDescription)")
        } else if process.terminationReason == .uncaughtSignal {
            Issue.record("synscope \(arguments.joined(separator: " ")) died from signal \(process.terminationStatus); stderr: \(result.stderr)", sourceLocation: sourceLocation)
        }
        if ProcessInfo.processInfo.environment["CAPTURE_TESTS_VERBOSE"] == "1" {
            print("RUN synscope \(arguments.joined(separator: " ")) -> exit \(result.status)\n  stderr: \(result.stderr.debugDescription)\n  stdout lines: \(result.stdoutLines.count)")
        }
        return result
    }
}
