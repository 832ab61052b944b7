import Analysis

/// `analyze`'s output of connections in the order they finish: a summary
/// each (text, with the timeline when segments are shown) or one JSON object
/// a line (jsonl). `--format json` collects them for `ConnectionJSON.document`.
public struct ConnectionWriter: ~Copyable {
    public enum Format: Sendable { case text, jsonl }
    public let format: Format
    /// Show each connection's segments (its timeline).
    public let segments: Bool
    public var sink = ByteSink()

    public init(format: Format, segments: Bool) {
        self.format = format
        self.segments = segments
    }

    public mutating func append(_ c: Connection) {
        switch format {
        case .jsonl:
            ConnectionJSON.append(c, includeSegments: segments, to: &sink)
            sink.append("\n")
        case .text:
            ConnectionText.appendSummary(c, to: &sink)
            if segments { sink.append(ConnectionText.timeline(c)) }
            sink.append("\n")
        }
    }
}

extension ConnectionJSON {
    /// `{"connections":[...]}` of `analyze --format json`.
    public static func document(_ connections: [Connection], includeSegments: Bool) -> ByteSink {
        var sink = ByteSink()
        sink.append("{\"connections\":[")
        for (i, c) in connections.enumerated() {
            if i > 0 { sink.append(",") }
            ConnectionJSON.append(c, includeSegments: includeSegments, to: &sink)
        }
        sink.append("]}\n")
        return sink
    }
}
