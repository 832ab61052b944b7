import ArgumentParser

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// synscope's documented exit codes (README, "Exit codes").
enum ExitStatus: Int32 {
    case success = 0
    /// A usage error: unknown flag, bad value, missing argument.
    case usage = 1
    /// An input that cannot be read (missing file, not a capture, truncated
    /// record, unsupported link type), or for `run`, an environment that does
    /// not allow a live run (not root, no network namespace, no capture).
    case unreadableInput = 2
    /// `run`: a scenario's observations differ from its expectations.
    case diff = 4
    /// `run`: a scenario ran past its --deadline and was stopped (its capture so far is saved).
    case deadline = 5
    // SIGINT and SIGTERM stop a run with 128 + the signal number (130, 143), as shells report them.
}

@main
struct Synscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synscope",
        abstract: "A packet-level TCP handshake tracer.",
        subcommands: [Run.self, Trace.self, List.self, Report.self, Analyze.self, Decode.self]
    )

    /// Runs the command, mapping ArgumentParser's usage errors to exit code 1.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            let message = fullMessage(for: error)
            if !message.isEmpty { Diagnostics.print(message) }
            if let status = error as? ExitCode {
                Glibc.exit(status.rawValue)
            }
            Glibc.exit(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
        }
    }
}

/// Diagnostics go to stderr, results to stdout.
enum Diagnostics {
    static func print(_ message: String) {
        var line = message
        if !line.hasSuffix("\n") { line += "\n" }
        line.withUTF8 { buffer in
            _ = fwrite(buffer.baseAddress, 1, buffer.count, stderr)
        }
    }

    /// Raw text to stderr (progress lines).
    static func write(_ text: String) {
        var t = text
        t.withUTF8 { buffer in _ = fwrite(buffer.baseAddress, 1, buffer.count, stderr) }
        fflush(stderr)
    }

    static func error(_ message: String) {
        print("synscope: \(message)")
    }
}

/// Writes bytes to stdout in large blocks.
enum StandardOutput {
    static func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    /// A string's UTF-8, without copying it into an array first.
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }
}
