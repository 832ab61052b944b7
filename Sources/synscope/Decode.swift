import ArgumentParser
import Capture
import Reports
import Session
import TraceModel

extension PacketFormatter.Format: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "text": self = .text
        case "jsonl": self = .jsonl
        default: return nil
        }
    }

    public static var allValueStrings: [String] { ["text", "jsonl"] }
}

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode pcap/pcapng files packet by packet, like tcpdump -nn -tt.",
        discussion: """
        Exit codes: 0 success, 1 usage error, 2 an input that cannot be read \
        (missing, not a capture, truncated record, unsupported link type). A \
        malformed packet in a readable file does not stop decoding.
        """
    )

    @Argument(help: "pcap or pcapng files.")
    var files: [String]

    @Option(help: "Output format: text (tcpdump style) or jsonl (one JSON object per IP packet).")
    var format: PacketFormatter.Format = .text

    @Flag(help: "Show sequence numbers relative to each direction's initial sequence number.")
    var relative = false

    @Option(help: "Input files decoded at once (default: the number of online CPUs). Output is the same as with 1, in input order.")
    var jobs: Int?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs takes a number from 1") }
    }

    func run() throws {
        var failed = false
        let format = format, relative = relative
        Jobs.run(files, jobs: jobs ?? Jobs.defaultCount, { path, out in
            do throws(CaptureError) {
                try Self.decode(path, format: format, relative: relative, to: out)
            } catch {
                out.error(error.description)
            }
        }, done: { _, out in
            if out.failed { failed = true }
        })
        if failed { throw ExitCode(ExitStatus.unreadableInput.rawValue) }
    }

    private static func decode(_ path: String, format: PacketFormatter.Format, relative: Bool,
                               to out: FileOutput) throws(CaptureError) {
        try DecodeListing.write(path, format: format, relative: relative) { out.write($0) }
    }
}
