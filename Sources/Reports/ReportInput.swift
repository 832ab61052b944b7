import Analysis
import TraceModel

/// One input of `synscope report`: a run synscope saved, or any capture
/// with its tracked connections (Session's `ReportInput.load` reads them).
public enum ReportInput: Sendable {
    case run(RunRecord)
    case capture(file: String, connections: [Connection], packets: [CapturedPacket])
}
