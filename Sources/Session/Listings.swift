import Analysis
import Capture
import PacketWire
import Reports
import TraceModel

/// `synscope decode` on one file: every packet formatted (tcpdump-like text or JSON
/// lines), handed over in chunks of about 64 KiB, and what is left when a read error stops it.
public enum DecodeListing {
    public static func write(_ path: String, format: PacketFormatter.Format, relative: Bool,
                             to output: (borrowing ByteSink) -> Void) throws(CaptureError) {
        var formatter = PacketFormatter(format: format, relative: relative)
        var sink = ByteSink()
        defer { output(sink) }
        try Pipeline.run(.file(path), each: { record in
            let decoded = PacketDecoder.decode(record.bytes, linkType: record.linkType, originalLength: record.originalLength)
            formatter.append(frame: record.frame, timestamp: record.timestamp, bytes: record.bytes,
                             originalLength: record.originalLength, decoded: decoded, to: &sink)
            if sink.count >= 1 << 16 {
                output(sink)
                sink.removeAll()
            }
        })
    }
}

/// `synscope analyze` on one file: its connections as they finish, or a saved run's timeline.
public enum ConnectionListing {
    public enum Format: String, Sendable, CaseIterable {
        case text, json, jsonl
    }

    public struct Options: Sendable {
        public var format: Format
        /// Every connection's timeline (`--timeline`).
        public var timeline: Bool
        /// Only this connection, with its timeline (`--connection`).
        public var connection: Int?
        public var selector: ConnectionFilter?

        public init(format: Format, timeline: Bool, connection: Int?, selector: ConnectionFilter?) {
            self.format = format
            self.timeline = timeline
            self.connection = connection
            self.selector = selector
        }

        var segments: Bool { timeline || connection != nil }
    }

    /// Writes `path`'s connections (text or JSON lines, in chunks of about 64 KiB) and returns
    /// the ones `--format json` collects for one document. A run synscope saved is shown as
    /// its timeline instead, unless one connection or JSON lines are asked for.
    public static func write(_ path: String, options o: Options, to output: (borrowing ByteSink) -> Void) throws(CaptureError) -> [Connection] {
        if o.timeline || o.connection == nil, o.format != .jsonl, let record = try SavedRun.load(path: path) {
            var sink = ByteSink()
            sink.append(o.format == .text ? RunText.render(record) : RunJSON.render([record]))
            output(sink)
            return []
        }
        var collected: [Connection] = []
        var writer = ConnectionWriter(format: o.format == .text ? .text : .jsonl, segments: o.segments)
        defer { output(writer.sink) }
        try Pipeline.run(.file(path), track: .init(keepSegments: o.segments), finished: { finished in
            for c in finished where o.selector?.matches(c) ?? true && (o.connection == nil || c.id == o.connection) {
                if o.format == .json { collected.append(c) } else { writer.append(c) }
            }
            if writer.sink.count >= 1 << 16 {
                output(writer.sink)
                writer.sink.removeAll()
            }
        })
        return collected
    }
}
