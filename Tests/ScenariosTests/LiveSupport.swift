import Foundation
import TestSupport
import Testing

/// When live tests can run: as root (they create network namespaces and
/// capture). Under CI=true they always run, so that a missing privilege fails.
enum LiveSupport {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let isRoot = geteuid() == 0
    static let enabled = isCI || isRoot
    static let reason: Comment = "live tests need root (network namespaces, capture); they always run under CI=true"

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The synscope binary: $SYNSCOPE_BIN, else .build/debug/synscope.
    static var binary: String {
        ProcessInfo.processInfo.environment["SYNSCOPE_BIN"] ?? root.appendingPathComponent(".build/debug/synscope").path
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program to completion (killed after 60 s).
    static func run(_ executable: String, _ arguments: [String]) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { p.terminate(); Issue.record("\(executable) did not finish within 60 s") }
        p.waitUntilExit()
        return Output(status: p.terminationStatus,
                      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    static func shell(_ command: String) -> String {
        (try? run("/bin/sh", ["-c", command]).stdout) ?? ""
    }
}
