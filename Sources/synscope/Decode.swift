import ArgumentParser
import Capture
import PacketWire
import Reports
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

    func run() throws {
        var failed = false
        for path in files {
            do {
                try decode(path)
            } catch {
                Diagnostics.error(error.description)
                failed = true
            }
        }
        if failed { throw ExitCode(ExitStatus.unreadableInput.rawValue) }
    }

    private func decode(_ path: String) throws(CaptureError) {
        let reader = try CaptureFileReader(path: path)
        try reader.requireDecodableLinkType()
        var formatter = PacketFormatter(format: format, relative: relative)
        var sink = ByteSink()
        do {
            try reader.forEach { record in
                let decoded = PacketDecoder.decode(record.bytes, linkType: record.linkType, originalLength: record.originalLength)
                formatter.append(frame: record.frame, timestamp: record.timestamp, bytes: record.bytes,
                                 originalLength: record.originalLength, decoded: decoded, to: &sink)
                if sink.count >= 1 << 16 {
                    StandardOutput.write(sink.bytes)
                    sink.removeAll()
                }
            }
        } catch {
            StandardOutput.write(sink.bytes)
            throw error
        }
        StandardOutput.write(sink.bytes)
    }
}
