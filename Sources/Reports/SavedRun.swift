import Capture
import Scenarios
import TraceModel

/// A run saved by `synscope run`, read back for offline reports.
public enum SavedRun {
    /// The run in `path`, or nil when the file holds no synscope metadata.
    public static func load(path: String) throws(CaptureError) -> RunRecord? {
        guard let metadata = try AnnotatedPcapng.readMetadata(path: path) else { return nil }
        let packets = try CaptureFileReader(path: path).readAll()
        return RunRecord(metadata: metadata, packets: packets, scenario: Catalogue.named(metadata.scenario))
    }
}
