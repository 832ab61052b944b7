import Analysis
import ArgumentParser
import Capture
import PacketWire
import Reports
import Scenarios
import Session
import Sockets
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

enum RunFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, html, markdown
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run socket scenarios live in a private network namespace and show what each call does on the wire (needs root).",
        discussion: """
        Each scenario runs in a fresh network namespace on loopback, captured with libpcap on its lo. \
        Exit codes: 0 every scenario ran and matched its expectations, 1 usage error, \
        2 the environment does not allow a live run (not root, no namespace, no capture), 4 a scenario showed a DIFF, \
        5 a run hit its --deadline, 130 / 143 stopped by SIGINT / SIGTERM (the runs in progress are saved, marked interrupted).
        """
    )

    @Argument(help: "Scenario names (see `synscope list`), or scenario files (FILE.yaml).")
    var scenarios: [String] = []

    @Flag(help: "Run every scenario of the catalogue (those marked slow only with --slow).")
    var all = false

    @Flag(help: "With --all, also run the slow scenarios (more than 5 s of kernel time each).")
    var slow = false

    @Option(help: "Output format: text, json, html or markdown (the saved pcapng is always written).")
    var format: RunFormat = .text

    @Option(name: [.short, .customLong("output")], help: "Write the report to this file instead of stdout.")
    var output: String?

    @OptionGroup var ladder: LadderOptions

    @Option(help: "Directory for the saved pcapng files (default: ./synscope-runs).")
    var out: String = "synscope-runs"

    @Option(help: "After the last step, the most to wait, in milliseconds, for kernel timers that can still send (retransmissions, probes).")
    var settle: Int = 1000

    @Option(help: "The most one scenario may run, in seconds; past it the run stops and is saved, marked interrupted.")
    var deadline: Int = 120

    @Flag(help: "Run the TCP scenarios over ::1 instead of 127.0.0.1.")
    var ipv6 = false

    @Option(help: "How many scenarios run at once, each in its own namespace (they mostly wait for kernel timers); the output keeps the catalogue's order.")
    var jobs: Int = 4

    func validate() throws {
        if all && !scenarios.isEmpty { throw ValidationError("give scenario names or --all, not both") }
        if !all && scenarios.isEmpty { throw ValidationError("name at least one scenario, or use --all (see `synscope list`)") }
        for name in scenarios where !Self.isFile(name) && Catalogue.named(name) == nil {
            throw ValidationError("unknown scenario '\(name)'; known: \(Catalogue.all.map(\.name).joined(separator: ", ")), or give a FILE.yaml")
        }
        // A bad scenario file is reported with its line before anything runs.
        for path in scenarios where Self.isFile(path) {
            do { _ = try Catalogue.load(path: path) } catch { throw ValidationError(error.description) }
        }
        if slow && !all { throw ValidationError("--slow goes with --all (a scenario named on the command line always runs)") }
        if settle < 0 || settle > 60_000 { throw ValidationError("--settle takes 0 to 60000 milliseconds") }
        if deadline < 1 || deadline > 3600 { throw ValidationError("--deadline takes 1 to 3600 seconds") }
        if jobs < 1 || jobs > 16 { throw ValidationError("--jobs takes 1 to 16") }
    }

    static func isFile(_ argument: String) -> Bool {
        argument.hasSuffix(".yaml") || argument.hasSuffix(".yml") || argument.contains("/")
    }

    func run() throws {
        let chosen = all ? Catalogue.all.filter { slow || !$0.slow } : try scenarios.map { name in
            Self.isFile(name) ? try Catalogue.load(path: name) : Catalogue.named(name)!
        }
        var diff = false
        var stopped: Int32 = 0
        var reports: [RunRecord] = []
        Interruption.install()
        let (v6, settleNanoseconds, deadlineNanoseconds) = (ipv6, Int64(settle) * 1_000_000, Int64(deadline) * 1_000_000_000)
        let batch = ScenarioBatch(chosen) { scenario throws(EnvironmentError) in
            try ScenarioRunner.run(scenario, ipv6: v6, settle: settleNanoseconds, deadline: deadlineNanoseconds)
        }
        try batch.run(jobs: jobs) { scenario, result in
            let live: LiveRun
            switch result {
            case .success(let run): live = run
            case .failure(let error):
                Diagnostics.error("cannot run \(scenario.name): \(error.message)")
                throw ExitCode(ExitStatus.unreadableInput.rawValue)
            }
            let report = RunRecord(scenario: scenario, live: live)
            warn(scenario.name, live)
            if let why = live.interrupted {
                Diagnostics.error("\(scenario.name): interrupted by \(why); the capture so far is saved and marked interrupted")
                stopped = Interruption.requested
            }
            try save(report, in: out, as: "\(scenario.name)\(ipv6 ? "-ipv6" : "").pcapng", label: "\(scenario.name): ")
            if !report.passed { diff = true }
            if format == .text && output == nil {
                StandardOutput.write(Array(RunText.render(report, width: ladder.width, color: ladder.useColor, full: ladder.full).utf8))
            }
            reports.append(report)
        }
        // A stop that came before a scenario started (the batch starts none after it) is a stop too:
        // those scenarios did not run, so the exit status must not say they passed.
        if stopped == 0 && Interruption.isRequested && reports.count < chosen.count {
            stopped = Interruption.requested
            let notRun = chosen[reports.count...].map(\.name).joined(separator: ", ")
            Diagnostics.error("interrupted by \(Interruption.describe(stopped)) before \(notRun) started; nothing was run or saved for \(chosen.count - reports.count == 1 ? "it" : "them")")
        }
        switch format {
        case .text:
            if output != nil { try emit(reports.map { RunText.render($0, width: 100, color: false, full: ladder.full) }.joined(), to: output) }
        case .json: try emit(RunJSON.render(reports), to: output)
        case .html: try emit(HTMLReport.render(runs: reports, connections: [], title: "synscope run"), to: output)
        case .markdown: try emit(MarkdownReport.render(runs: reports, captures: [], title: "synscope run"), to: output)
        }
        if stopped == Interruption.deadline { throw ExitCode(ExitStatus.deadline.rawValue) }
        if stopped != 0 { throw ExitCode(128 + stopped) }
        if diff { throw ExitCode(ExitStatus.diff.rawValue) }
    }
}

extension Run {
    /// What a live run's own numbers say about its completeness, on stderr.
    func warn(_ name: String, _ live: LiveRun) {
        if live.statistics.dropped > 0 || live.statistics.interfaceDropped > 0 {
            Diagnostics.error("WARNING: \(name): packets were dropped (\(live.statistics.dropped) by the kernel's capture buffer, \(live.statistics.interfaceDropped) by the interface); the timeline is incomplete")
        }
        if !live.sentinelSeen {
            Diagnostics.error("WARNING: \(name): the end-of-run sentinel was never captured; the capture may be cut short")
        }
        if live.pendingTimers > 0 {
            Diagnostics.error("note: \(name): \(live.pendingTimers) kernel retransmission timers were still pending after --settle \(settle) ms; later segments are not in the capture")
        }
        if let why = live.kernelUnavailable {
            Diagnostics.error("\(name): kernel events unavailable (\(why)); every cause is inferred from the packets and labelled so")
        }
        if live.kernelEventsLost > 0 {
            Diagnostics.error("WARNING: \(name): the tracing instance lost \(live.kernelEventsLost) kernel events; some causes may be inferred")
        }
    }
}

/// Saves a run as DIR/NAME (the directory made first), says so on stderr; exit 2 with one message when it cannot.
func save(_ record: RunRecord, in directory: String, as name: String, label: String = "") throws {
    do {
        let path = try SavedRun.save(record, in: directory, as: name)
        Diagnostics.print("synscope: \(label)saved \(path)")
    } catch {
        Diagnostics.error("cannot save \(directory)/\(name): \(error)")
        throw ExitCode(ExitStatus.unreadableInput.rawValue)
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the built-in scenarios with their explanations.")

    func run() throws {
        var text = ""
        for s in Catalogue.all {
            text += s.slow ? "\(s.name) (slow: run --all skips it without --slow)\n" : "\(s.name)\n"
            text += RunText.wrap(s.summary, width: 96, indent: "    ") + "\n\n"
        }
        StandardOutput.write(Array(text.utf8))
    }
}
