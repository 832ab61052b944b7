import Analysis
import Capture
import Glibc
import Reports
import Scenarios
import Session
import TraceModel

/// The packets of synscope's recordings (captures/run-*.pcapng), by scenario:
/// a fuzzed metadata block is rebuilt against the packets of the scenario it
/// names (or of `connect`), as `analyze --timeline` would.
enum Recordings {
    static let directory: String = {
        if let d = getenv("SYNSCOPE_CAPTURES") { return String(cString: d) }
        // This file is <root>/tools/fuzz/Sources/MetadataFuzz/main.swift.
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(5)
        return parts.joined(separator: "/") + "/captures"
    }()

    static let packets: [String: [CapturedPacket]] = {
        var all: [String: [CapturedPacket]] = [:]
        for name in Catalogue.all.map(\.name) {
            if let p = try? CaptureFileReader(path: "\(directory)/run-\(name).pcapng").readAll() { all[name] = p }
        }
        precondition(all["connect"] != nil, "no recordings in \(directory); set SYNSCOPE_CAPTURES")
        return all
    }()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRunMetadata(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let payload = Array(UnsafeBufferPointer(start: data, count: size))
    let metadata: RunMetadata
    do {
        metadata = try AnnotatedPcapng.decodeMetadata(payload)
    } catch {
        _ = error.description
        return 0
    }
    let packets = Recordings.packets[metadata.scenario] ?? Recordings.packets["connect"]!
    let record = RunRecord(metadata: metadata, packets: packets, scenario: Catalogue.named(metadata.scenario))
    _ = RunText.render(record, width: 100, color: false, full: false)
    return 0
}
