import Analysis
import Capture
import PacketWire
import TraceModel

extension AnnotatedPcapng {
    /// The comment on a segment of a plain capture: its connection, direction,
    /// states after it and findings.
    public static func comment(_ a: AnnotatedSegment) -> String {
        var text = "synscope conn #\(a.connection) \(a.direction == .originator ? "originator→responder" : "responder→originator") "
        text += "[\(a.segment.flags.tcpdumpNotation)] seq \(a.relativeSequence)"
        if let ack = a.relativeAcknowledgment { text += " ack \(ack)" }
        text += "; states after: originator \(a.states.originator.name), responder \(a.states.responder.name)"
        if !a.findings.isEmpty { text += "; findings: " + a.findings.map(\.name).joined(separator: ", ") }
        return text
    }

    /// Writes a plain capture's packets with a comment on each TCP segment.
    public static func write(packets: [CapturedPacket], connections: [Connection], to path: String) throws(CaptureError) {
        let linkType = packets.first?.linkType ?? .ethernet
        var writer = try PcapngWriter(path: path, linkType: linkType, snapLength: 262_144, application: "synscope",
                                      sectionComment: "synscope report: \(connections.count) TCP connections")
        var comments: [Int: String] = [:]
        for c in connections { for a in c.segments { comments[a.segment.frame] = comment(a) } }
        for p in packets { try writer.write(p, comment: comments[p.frame]) }
        try writer.finish()
    }
}
