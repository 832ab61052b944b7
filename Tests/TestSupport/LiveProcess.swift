import Foundation
import Testing

/// Running synscope and other programs from the live tests: as root, or always under CI=true.
public enum LiveProcess {
    public static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    public static let isRoot = geteuid() == 0
    /// Live tests run as root, and always under CI=true, so that a missing privilege fails them.
    public static let enabled = isCI || isRoot

    /// The repository's root directory.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The synscope binary: $SYNSCOPE_BIN, else .build/debug/synscope.
    public static var binary: String {
        ProcessInfo.processInfo.environment["SYNSCOPE_BIN"] ?? root.appendingPathComponent(".build/debug/synscope").path
    }

    public struct Output {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// A started program whose stdout and stderr go to files in a directory of their own.
    public struct Started {
        public let process: Process
        let directory: URL
        let out: URL
        let err: URL

        /// Waits up to `seconds` (then terminates it and records an issue), reads its output and removes the files.
        public func finish(within seconds: Double, what: String) -> Output {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { process.terminate(); Issue.record("\(what) did not finish within \(Int(seconds)) s") }
            process.waitUntilExit()
            defer { try? FileManager.default.removeItem(at: directory) }
            return Output(status: process.terminationStatus,
                          stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                          stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
        }
    }

    /// Starts `executable` with `arguments`.
    public static func start(_ executable: String, _ arguments: [String]) throws -> Started {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        return Started(process: p, directory: dir, out: out, err: err)
    }

    /// Runs a program to completion (killed after 60 s).
    public static func run(_ executable: String, _ arguments: [String]) throws -> Output {
        try start(executable, arguments).finish(within: 60, what: executable)
    }

    public static func shell(_ command: String) -> String {
        (try? run("/bin/sh", ["-c", command]).stdout) ?? ""
    }
}
