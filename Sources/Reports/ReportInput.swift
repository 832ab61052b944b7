import Analysis
import Capture
import PacketWire
import Scenarios
import TraceModel

/// One input of `synscope report`: a run synscope saved, or any capture.
public enum ReportInput: Sendable {
    case run(RunRecord)
    case capture(file: String, connections: [Connection], packets: [CapturedPacket])

    /// Reads `path`: a saved run when it carries synscope's metadata,
    /// otherwise a capture whose connections are analysed with their segments.
    /// `progress` is called now and then with the packets read so far.
    /// `keepPackets` keeps a copy of every packet (for writing an annotated pcapng).
    /// `segmentsUpToID` keeps the segments of only the connections with an
    /// id up to it (the first ones), for a report that draws no others.
    public static func load(path: String, keepPackets: Bool = true, segmentsUpToID: Int = .max,
                            progress: ((Int) -> Void)? = nil) throws(CaptureError) -> ReportInput {
        if let run = try SavedRun.load(path: path) { return .run(run) }
        let reader = try CaptureFileReader(path: path)
        try reader.requireDecodableLinkType()
        var tracker = ConnectionTracker(options: .init(keepSegments: true, keepSegmentsUpToID: segmentsUpToID))
        var connections: [Connection] = []
        var packets: [CapturedPacket] = []
        var s = TCPSegment.empty  // decoded into in place, packet after packet
        try reader.forEach { r in
            if keepPackets { packets.append(r.copy()) }
            if r.frame % 50_000 == 0 { progress?(r.frame) }
            guard s.load(r.bytes, linkType: r.linkType, originalLength: r.originalLength, frame: r.frame, time: r.timestamp) else { return }
            connections += tracker.follow(s)
        }
        connections += tracker.finish()
        connections.sort { $0.id < $1.id }
        return .capture(file: path, connections: connections, packets: packets)
    }
}

extension CaptureFileReader {
    /// Throws, naming the file and the link type, when PacketWire cannot decode this file's link type.
    public func requireDecodableLinkType() throws(CaptureError) {
        guard LinkHeader.isSupported(linkType) else {
            throw CaptureError(.unsupportedLinkType, path: path,
                               message: "link type \(linkType.rawValue) (\(linkType)) is not supported; synscope decodes EN10MB, LINUX_SLL, LINUX_SLL2, NULL, LOOP, RAW, IPV4 and IPV6")
        }
    }
}
