import Analysis
import ArgumentParser
import Capture
import Reports
import Scenarios
import Session
import Sockets
import Tracer

#if canImport(Glibc)
import Glibc
#endif

enum TraceFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct Trace: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run any command and show what its socket calls do on the wire, and why (needs root).",
        discussion: """
        COMMAND runs with its whole process tree in a fresh network namespace (loopback only), or with --host \
        in this machine's own. Its socket system calls come from the kernel's syscall tracepoints, its segments \
        from libpcap, and each segment is tied to the call, reply or timer that caused it. COMMAND's stdout and \
        stderr pass through unchanged; the timeline goes to --output, or to stderr once COMMAND has ended. \
        Exit codes: COMMAND's own (128 + N when signal N ended it; 127 not found, 126 not executable); \
        1 usage error; 2 synscope itself failed (not root, no tracefs or syscall tracepoints, no capture).
        """
    )

    @Flag(help: "Trace in the host's network namespace: only COMMAND's own connections on the interface are shown.")
    var host = false

    @Option(name: [.short, .customLong("interface")], help: "With --host, the interface to capture on (default lo).")
    var interface: String?

    @Option(help: "Timeline format: text or json.")
    var format: TraceFormat = .text

    @Option(help: "Directory for the saved pcapng (default: ./synscope-runs).")
    var out: String = "synscope-runs"

    @Option(name: [.short, .customLong("output")], help: "Write the timeline to this file instead of stderr.")
    var output: String?

    @Option(help: "After COMMAND ends, the most to wait, in milliseconds, for segments its closed sockets still send.")
    var settle: Int = 1000

    @OptionGroup var ladder: LadderOptions

    @Argument(parsing: .postTerminator, help: "The command to trace, after --.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command to trace after --, e.g. synscope trace -- curl -s http://127.0.0.1:8000/") }
        if interface != nil && !host { throw ValidationError("-i/--interface goes with --host (without it COMMAND gets a loopback of its own)") }
        if settle < 0 || settle > 60_000 { throw ValidationError("--settle takes 0 to 60000 milliseconds") }
    }

    func run() throws {
        Interruption.install()
        let traced: CommandRun
        do {
            traced = try CommandTracer.run(command, host: host, interface: interface, settle: Int64(settle) * 1_000_000)
        } catch .cannotExecute(let message, let status) {
            Diagnostics.error(message)
            throw ExitCode(status)
        } catch .environment(let error) {
            Diagnostics.error("cannot trace: \(error.message)")
            throw ExitCode(ExitStatus.unreadableInput.rawValue)
        }
        let record = RunRecord(command: traced)
        if traced.statistics.dropped > 0 || traced.statistics.interfaceDropped > 0 {
            Diagnostics.error("WARNING: packets were dropped (\(traced.statistics.dropped) by the capture buffer, \(traced.statistics.interfaceDropped) by the interface); the timeline is incomplete")
        }
        if traced.kernelEventsLost > 0 {
            Diagnostics.error("WARNING: the tracing instances lost \(traced.kernelEventsLost) kernel events; some calls or causes may be missing")
        }
        if traced.stoppedProcesses > 0 {
            Diagnostics.error("note: \(traced.stoppedProcesses) process(es) of COMMAND were still running when it ended; stopped them (SIGTERM, then SIGKILL)")
        }
        let name = String(command[0].split(separator: "/").last ?? "command").filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
        try save(record, in: out, as: "trace-\(name.isEmpty ? "command" : name)-\(traced.calls.processes.first?.pid ?? 0).pcapng")
        let text: String
        switch format {
        case .text:
            let toTerminal = output == nil && isatty(2) == 1
            text = RunText.render(record, width: toTerminal ? ladder.width : 100, color: toTerminal && ladder.useColor, full: ladder.full)
        case .json:
            text = RunJSON.render([record])
        }
        if output != nil { try emit(text, to: output) } else { Diagnostics.write(text) }
        if traced.exitStatus != 0 { throw ExitCode(traced.exitStatus) }
    }
}
