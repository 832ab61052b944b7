import Analysis
import Capture
import Foundation
import Reports
import Scenarios
import TraceModel

/// A run saved by `synscope run` or `trace`, read back for offline reports.
public enum SavedRun {
    /// The run in `path`, or nil when the file holds no synscope metadata.
    public static func load(path: String) throws(CaptureError) -> RunRecord? {
        guard let metadata = try AnnotatedPcapng.readMetadata(path: path) else { return nil }
        let packets = try CaptureFileReader(path: path).readAll()
        return RunRecord(metadata: metadata, packets: packets, scenario: Catalogue.named(metadata.scenario))
    }
}

/// The saved-run format: one self-contained pcapng with the packets, a
/// comment on each packet with its cause and explanation (`PacketComment`),
/// and synscope's metadata block (the `RunMetadata` JSON, checked by
/// `MetadataLimits`), from which a run is rebuilt offline.
public enum AnnotatedPcapng {
    public static func write(_ r: RunRecord, to path: String) throws(CaptureError) {
        let linkType = r.packets.first?.linkType ?? .ethernet
        var writer = try PcapngWriter(path: path, linkType: linkType, snapLength: 262_144, application: "synscope",
                                      sectionComment: "synscope run \(r.scenario) on Linux \(r.metadata.kernel)")
        var comments: [Int: String] = [:]
        for s in r.timeline.segments { comments[s.segment.frame] = PacketComment.text(s) }
        for d in r.timeline.datagrams { comments[d.frame] = PacketComment.text(d) }
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

    /// Writes a plain capture's packets with a comment on each TCP segment.
    public static func write(packets: [CapturedPacket], connections: [Connection], to path: String) throws(CaptureError) {
        let linkType = packets.first?.linkType ?? .ethernet
        var writer = try PcapngWriter(path: path, linkType: linkType, snapLength: 262_144, application: "synscope",
                                      sectionComment: "synscope report: \(connections.count) TCP connections")
        var comments: [Int: String] = [:]
        for c in connections { for a in c.segments { comments[a.segment.frame] = PacketComment.text(a) } }
        for p in packets { try writer.write(p, comment: comments[p.frame]) }
        try writer.finish()
    }
}

extension SavedRun {
    /// Saves `record` as DIRECTORY/NAME (making the directory first) and returns the path.
    public static func save(_ record: RunRecord, in directory: String, as name: String) throws(CaptureError) -> String {
        let path = "\(directory)/\(name)"
        try OutputFile.makeDirectory(directory)
        try AnnotatedPcapng.write(record, to: path)
        return path
    }
}
