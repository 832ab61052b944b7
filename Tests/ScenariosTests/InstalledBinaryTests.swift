import Foundation
import TestSupport
import Testing

/// The binary installed alone (tools/install copies only `synscope`; the
/// repository and its .build hidden), run by an unprivileged user whose
/// working directory it cannot enter (a mode-700 clone): list, decode,
/// analyze and report work; run refuses with exit 2 and one message; nothing
/// crashes. Needs root (setpriv, a private mount namespace), like the live tests.
@Suite("installed binary as user nobody", .enabled(if: LiveSupport.enabled, LiveSupport.reason))
struct InstalledBinaryTests {
    /// A copy of the built binary in a directory of its own, a closed working
    /// directory, a readable input directory and a writable output directory.
    final class Setup {
        let base: URL
        let binary: String
        let closed: String
        let inputs: String
        let outputs: String

        init() throws {
            let fm = FileManager.default
            base = fm.temporaryDirectory.appendingPathComponent("synscope-installed-\(UUID().uuidString)")
            let bin = base.appendingPathComponent("bin")
            try fm.createDirectory(at: bin, withIntermediateDirectories: true)
            binary = bin.appendingPathComponent("synscope").path
            try fm.copyItem(atPath: LiveSupport.binary, toPath: binary)
            closed = base.appendingPathComponent("clone").path
            inputs = base.appendingPathComponent("inputs").path
            outputs = base.appendingPathComponent("outputs").path
            for dir in [closed, inputs, outputs] { try fm.createDirectory(atPath: dir, withIntermediateDirectories: false) }
            for name in ["run-connect.pcapng", "conn-graceful.pcap"] {
                try fm.copyItem(atPath: LiveSupport.root.appendingPathComponent("captures/\(name)").path, toPath: "\(inputs)/\(name)")
                chmod("\(inputs)/\(name)", 0o644)
            }
            chmod(base.path, 0o755)
            chmod(bin.path, 0o755)
            chmod(binary, 0o755)
            chmod(closed, 0o700)
            chmod(inputs, 0o755)
            chmod(outputs, 0o777)
        }

        deinit { try? FileManager.default.removeItem(at: base) }
    }

    struct Outcome {
        var status: Int32
        var signalled: Bool
        var stdout: String
        var stderr: String
    }

    /// Runs the copied binary as nobody, with the closed directory as its working directory.
    static func runAsNobody(_ setup: Setup, _ arguments: [String]) throws -> Outcome {
        // In a private mount namespace (gone with the process), an empty tmpfs
        // hides this repository and its .build, as if the binary were installed alone.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        p.arguments = ["--mount", "--propagation", "private", "--", "/bin/sh", "-c",
                       "mount -t tmpfs -o mode=700,size=1m none \"$1\" && shift && exec /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \"$@\"",
                       "sh", LiveSupport.root.path, setup.binary] + arguments
        p.currentDirectoryURL = URL(fileURLWithPath: setup.closed)
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment["HOME"] = "/nonexistent"
        p.environment = environment
        let out = setup.base.appendingPathComponent("stdout-\(UUID().uuidString)"), err = setup.base.appendingPathComponent("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL); Issue.record("synscope \(arguments) did not finish within 60 s") }
        p.waitUntilExit()
        return Outcome(status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal,
                       stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                       stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    @Test("list, decode, analyze, report and completions work; run refuses with exit 2 and one line")
    func asNobody() throws {
        let setup = try Setup()
        let commands: [(arguments: [String], status: Int32)] = [
            (["list"], 0),
            (["decode", "\(setup.inputs)/conn-graceful.pcap"], 0),
            (["analyze", "\(setup.inputs)/conn-graceful.pcap"], 0),
            (["analyze", "--timeline", "\(setup.inputs)/run-connect.pcapng"], 0),
            (["report", "--format", "html", "-o", "\(setup.outputs)/report.html", "\(setup.inputs)/run-connect.pcapng"], 0),
            (["report", "\(setup.inputs)/run-connect.pcapng"], 0),
            (["--generate-completion-script", "bash"], 0),
            (["run", "connect"], 2),
            (["run", "--all", "--out", setup.outputs], 2),
        ]
        for (arguments, status) in commands {
            let r = try Self.runAsNobody(setup, arguments)
            let what = "synscope \(arguments.joined(separator: " ")): exit \(r.status), stderr \(r.stderr.prefix(400).debugDescription)"
            #expect(!r.signalled, "\(what): killed by a signal")
            #expect(r.status == status, "\(what)")
            if status == 0 {
                #expect(!r.stdout.isEmpty || arguments.contains("-o"), "\(what): no output")
            } else {
                #expect(r.stdout.isEmpty, "\(what)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(what): not one line")
                #expect(r.stderr.contains("CAP_SYS_ADMIN"), "\(what)")
            }
        }
        #expect(FileManager.default.fileExists(atPath: "\(setup.outputs)/report.html"))
        let list = try Self.runAsNobody(setup, ["list"])
        #expect(list.stdout.hasPrefix("connect\n"))
    }
}
