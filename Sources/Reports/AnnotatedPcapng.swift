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

    /// The run metadata in a saved file, if synscope wrote one: the first
    /// block that passes `decodeMetadata`. A file whose only blocks fail is
    /// an error naming the file and what is wrong with its first block.
    public static func readMetadata(path: String) throws(CaptureError) -> RunMetadata? {
        var firstFailure: MetadataLimits.Violation?
        for payload in try PcapngMetadataReader.read(path: path) {
            do {
                return try decodeMetadata(payload)
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        if let firstFailure {
            throw CaptureError(.read, path: path, message: "synscope metadata block: \(firstFailure.description)")
        }
        return nil
    }

    /// Decodes one metadata payload, checked by `MetadataLimits` before and after.
    public static func decodeMetadata(_ payload: [UInt8]) throws(MetadataLimits.Violation) -> RunMetadata {
        try MetadataLimits.check(json: payload)
        let metadata: RunMetadata
        do {
            metadata = try JSONDecoder().decode(RunMetadata.self, from: Data(payload))
        } catch let DecodingError.dataCorrupted(c), let DecodingError.keyNotFound(_, c), let DecodingError.typeMismatch(_, c),
                let DecodingError.valueNotFound(_, c) {
            let at = c.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            throw MetadataLimits.Violation("not synscope's run metadata\(at.isEmpty ? "" : " at \(at)"): \(c.debugDescription)")
        } catch {
            throw MetadataLimits.Violation("not synscope's run metadata: \(error)")
        }
        try MetadataLimits.check(metadata)
        return metadata
    }
}
