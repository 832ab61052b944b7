import Analysis
import ArgumentParser
import Capture
import PacketWire
import Reports
import Session
import TraceModel

extension ConnectionListing.Format: ExpressibleByArgument {}

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
    var format: ConnectionListing.Format = .text

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
        let options = ConnectionListing.Options(format: format, timeline: timeline, connection: connection, selector: selector)
        var failed = false
        var all: [Connection] = []
        Jobs.run(files, jobs: jobs ?? Jobs.defaultCount, { path, out in
            do throws(CaptureError) {
                return try ConnectionListing.write(path, options: options) { out.write($0) }
            } catch {
                out.error(error.description)
                return []
            }
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
