import Analysis
import ArgumentParser
import Capture
import PacketWire
import Reports
import Session
import TraceModel

enum AnalyzeFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, jsonl
}

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Track every TCP connection in captures: handshake and teardown classes, conn_state, history, states, findings.",
        discussion: """
        Connections are reported as they finish (jsonl, text) or all at the end sorted by id (json). \
        Exit codes: 0 success, 1 usage error, 2 an input that cannot be read.
        """
    )

    @Argument(help: "pcap or pcapng files.")
    var files: [String]

    @Option(help: "Output format: text, json ({\"connections\":[...]}) or jsonl (one connection per line).")
    var format: AnalyzeFormat = .text

    @Option(help: "Show the annotated timeline of the connection with this id.")
    var connection: Int?

    @Flag(help: "Show the annotated timeline of every connection.")
    var timeline = false

    @Option(help: "Select connections: key=value terms (handshake, teardown, conn_state, port, addr, finding, id), all must match.")
    var filter: String?

    @Option(help: "Input files processed at once (default: the number of online CPUs). Output is the same as with 1, in input order.")
    var jobs: Int?

    func validate() throws {
        if let filter {
            do { _ = try ConnectionFilter(filter) } catch { throw ValidationError(error.description) }
        }
        if let connection, connection < 1 { throw ValidationError("--connection takes an id from 1") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs takes a number from 1") }
    }

    func run() throws {
        let selector = try filter.map { try ConnectionFilter($0) }
        let settings = AnalyzeSettings(format: format, timeline: timeline, connection: connection, selector: selector)
        var failed = false
        var all: [Connection] = []
        Jobs.run(files, jobs: jobs ?? Jobs.defaultCount, { path, out in
            settings.analyze(path, to: out)
        }, done: { connections, out in
            all += connections
            if out.failed { failed = true }
        })
        if format == .json {
            StandardOutput.write(ConnectionJSON.document(all.sorted(by: { $0.start < $1.start }), includeSegments: timeline || connection != nil).bytes)
        }
        if failed { throw ExitCode(ExitStatus.unreadableInput.rawValue) }
    }
}

/// What `analyze` does with one file, independent of the others.
struct AnalyzeSettings: Sendable {
    let format: AnalyzeFormat
    let timeline: Bool
    let connection: Int?
    let selector: ConnectionFilter?

    /// Analyzes `path`, writing to `out`; returns the connections `--format json` collects.
    func analyze(_ path: String, to out: FileOutput) -> [Connection] {
        var all: [Connection] = []
        do throws(CaptureError) {
            // A run that synscope saved: rebuild its correlated timeline.
            if timeline || connection == nil, format != .jsonl, let record = try SavedRun.load(path: path) {
                var sink = ByteSink()
                switch format {
                case .text: sink.append(RunText.render(record))
                case .json, .jsonl: sink.append(RunJSON.render([record]))
                }
                out.write(sink)
                return all
            }
            let segments = timeline || connection != nil
            var writer = ConnectionWriter(format: format == .text ? .text : .jsonl, segments: segments)
            defer { out.write(writer.sink) }
            try Pipeline.run(.file(path), track: .init(keepSegments: segments), finished: { finished in
                for c in finished where selector?.matches(c) ?? true && (connection == nil || c.id == connection) {
                    if format == .json { all.append(c) } else { writer.append(c) }
                }
                if writer.sink.count >= 1 << 16 {
                    out.write(writer.sink)
                    writer.sink.removeAll()
                }
            })
        } catch {
            out.error(error.description)
        }
        return all
    }
}
