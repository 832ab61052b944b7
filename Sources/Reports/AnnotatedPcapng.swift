import Analysis
import Capture
import Foundation
import Scenarios
import TraceModel

/// Saves a run as one self-contained pcapng: the packets, a comment on each
/// TCP packet with its cause and explanation (Wireshark's and tshark's
/// `frame.comment`), and synscope's metadata block with the scenario and its
/// syscall events, from which `synscope analyze --timeline` rebuilds the run.
public enum AnnotatedPcapng {
    /// The per-packet comment: `#7 reply to #5: SYN-ACK from … [retransmission]`.
    public static func comment(_ s: TimelineSegment) -> String {
        var text = "synscope #\(s.index) \(CauseLabel.segment(s)): \(s.explanation)"
        if !s.annotated.findings.isEmpty { text += " [" + s.annotated.findings.map(\.name).joined(separator: ", ") + "]" }
        if let f = s.fate { text += "; " + CauseWording.fate(f) }
        return text
    }

    public static func comment(_ d: TimelineDatagram) -> String {
        "synscope #\(d.index) \(CauseLabel.datagram(d)): \(d.explanation)"
    }

    public static func write(_ r: RunRecord, to path: String) throws(CaptureError) {
        let linkType = r.packets.first?.linkType ?? .ethernet
        var writer = try PcapngWriter(path: path, linkType: linkType, snapLength: 262_144, application: "synscope",
                                      sectionComment: "synscope run \(r.scenario) on Linux \(r.metadata.kernel)")
        var comments: [Int: String] = [:]
        for s in r.timeline.segments { comments[s.segment.frame] = comment(s) }
        for d in r.timeline.datagrams { comments[d.frame] = comment(d) }
        for p in r.packets {
            try writer.write(p, comment: comments[p.frame])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let json = try? encoder.encode(r.metadata) else {
            throw CaptureError(.read, path: path, message: "cannot encode the run's metadata")
        }
        try writer.writeMetadata(Array(json))
        try writer.finish()
    }

    /// The run metadata in a saved file, if synscope wrote one.
    public static func readMetadata(path: String) throws(CaptureError) -> RunMetadata? {
        for payload in try PcapngMetadataReader.read(path: path) {
            if let m = try? JSONDecoder().decode(RunMetadata.self, from: Data(payload)) { return m }
        }
        return nil
    }
}
