import Analysis
import Capture
import Reports
import TraceModel

extension ReportInput {
    /// Reads `path`: a saved run when it carries synscope's metadata,
    /// otherwise a capture whose connections are tracked with their segments.
    /// `progress` is called now and then with the packets read so far.
    /// `keepPackets` keeps a copy of every packet (for writing an annotated pcapng).
    /// `segmentsUpToID` keeps the segments of only the connections with an
    /// id up to it (the first ones), for a report that draws no others.
    public static func load(path: String, keepPackets: Bool = true, segmentsUpToID: Int = .max,
                            progress: ((Int) -> Void)? = nil) throws(CaptureError) -> ReportInput {
        if let run = try SavedRun.load(path: path) { return .run(run) }
        var connections: [Connection] = []
        var packets: [CapturedPacket] = []
        try Pipeline.run(.file(path), track: .init(keepSegments: true, keepSegmentsUpToID: segmentsUpToID), each: { r in
            if keepPackets { packets.append(r.copy()) }
            if r.frame % 50_000 == 0 { progress?(r.frame) }
        }, finished: { connections += $0 })
        connections.sort { $0.id < $1.id }
        return .capture(file: path, connections: connections, packets: packets)
    }
}
