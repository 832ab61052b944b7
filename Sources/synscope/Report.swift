import Analysis
import ArgumentParser
import Capture
import Reports
import Session
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, html, markdown, json, pcapng
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render timeline reports of saved runs or any pcap/pcapng: terminal ladder, HTML with SVG, Markdown with Mermaid, JSON, annotated pcapng.",
        discussion: "Exit codes: 0 success, 1 usage error, 2 an input that cannot be read or an output that cannot be written."
    )

    @Argument(help: "Saved runs (from synscope run) or any pcap/pcapng files.")
    var inputs: [String]

    @Option(help: "text, html, markdown, json or pcapng.")
    var format: ReportFormat = .text

    @Option(name: [.short, .customLong("output")], help: "Write the report to this file (required for pcapng; default stdout).")
    var output: String?

    @OptionGroup var ladder: LadderOptions

    func validate() throws {
        if format == .pcapng {
            guard output != nil else { throw ValidationError("--format pcapng needs -o FILE") }
            guard inputs.count == 1 else { throw ValidationError("--format pcapng annotates one input at a time") }
        }
    }

    func run() throws {
        let progress = Progress()
        var loaded: [ReportInput] = []
        for path in inputs {
            do {
                // HTML draws the first connections of a capture only; the others need no segments.
                let segmentsUpToID = format == .html ? HTMLReport.diagramsPerCapture : .max
                loaded.append(try ReportInput.load(path: path, keepPackets: format == .pcapng, segmentsUpToID: segmentsUpToID) {
                    progress.show("\(path): \($0) packets read")
                })
            } catch {
                progress.clear()
                Diagnostics.error(error.description)
                throw ExitCode(ExitStatus.unreadableInput.rawValue)
            }
        }
        progress.show("rendering")
        let title = inputs.count == 1 ? "synscope report: \(inputs[0])" : "synscope report: \(inputs.count) inputs"
        let text: String
        switch format {
        case .text: text = ReportRenderer.text(loaded, width: ladder.width, color: ladder.useColor, full: ladder.full)
        case .markdown: text = ReportRenderer.markdown(loaded, title: title)
        case .html: text = ReportRenderer.html(loaded, title: title)
        case .json: text = ReportRenderer.json(loaded)
        case .pcapng:
            progress.clear()
            do {
                switch loaded[0] {
                case .run(let r): try AnnotatedPcapng.write(r, to: output!)
                case .capture(_, let connections, let packets): try AnnotatedPcapng.write(packets: packets, connections: connections, to: output!)
                }
            } catch {
                Diagnostics.error(error.description)
                throw ExitCode(ExitStatus.unreadableInput.rawValue)
            }
            return
        }
        progress.clear()
        try emit(text, to: output)
    }
}

/// Writes a report to stdout, or to a file (`ReportFile`): exit 2 with one message when it cannot.
func emit(_ text: String, to output: String?) throws {
    guard let output else {
        StandardOutput.write(text)
        return
    }
    do {
        try ReportFile.write(text, to: output)
    } catch {
        Diagnostics.error(error.description)
        throw ExitCode(ExitStatus.unreadableInput.rawValue)
    }
}

/// Options of the terminal ladder.
struct LadderOptions: ParsableArguments {
    @Flag(help: "No colour, even on a terminal (NO_COLOR is honoured too).")
    var noColor = false

    @Flag(help: "Show every segment; by default runs of data segments are collapsed.")
    var full = false

    /// Colour only on a TTY, never with NO_COLOR or --no-color.
    var useColor: Bool {
        !noColor && getenv("NO_COLOR") == nil && isatty(1) == 1
    }

    /// The terminal's width, or 100 columns when stdout is not a TTY.
    var width: Int {
        var w = winsize()
        if isatty(1) == 1, ioctl(1, UInt(TIOCGWINSZ), &w) == 0, w.ws_col >= 60 { return Int(w.ws_col) }
        return 100
    }
}

/// A progress line on stderr, shown only when stderr is a TTY and the work
/// has taken more than two seconds.
final class Progress {
    private let start = RealtimeClockShim.now()
    private var shown = false
    private let enabled = isatty(2) == 1

    func show(_ message: String) {
        guard enabled, RealtimeClockShim.now() - start > 2_000_000_000 else { return }
        Diagnostics.write("\r\u{1B}[K" + message)
        shown = true
    }

    func clear() {
        if shown { Diagnostics.write("\r\u{1B}[K") }
        shown = false
    }
}

enum RealtimeClockShim {
    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
