import Analysis
@testable import Reports
import Session
import Testing

/// Causes are worded by CauseLabel alone: the ladder's `#N cause` notes and
/// the summary table's "closed by" column agree on timers and untraced tasks.
@Suite("cause labels")
struct CauseLabelTests {
    static func fin() throws -> TimelineSegment {
        guard case .run(let r) = try ReportInput.load(path: Fixtures.path("run-connect.pcapng")) else { throw Fixtures.ToolError(message: "not a run") }
        return try #require(r.timeline.segments.first { $0.segment.isFIN })
    }

    @Test("a timer: the kernel's function when attested, synscope's name in parentheses when inferred")
    func timer() throws {
        var s = try Self.fin()
        s.cause = .timer("retransmission")
        s.source = .inferred
        s.kernel = nil
        #expect(CauseLabel.segment(s) == "timer (retransmission) (inferred)")
        #expect(CauseLabel.closing(s, call: nil) == "timer (retransmission) (inferred)")
        s.source = .kernel
        s.kernel = KernelEvidence(context: .timer, timer: "tcp_write_timer")
        #expect(CauseLabel.segment(s) == "timer tcp_write_timer")
        #expect(CauseLabel.closing(s, call: nil) == "timer tcp_write_timer")
    }

    @Test("a task the trace does not follow")
    func untraced() throws {
        var s = try Self.fin()
        s.cause = .untraced(task: 412)
        s.source = .kernel
        #expect(CauseLabel.segment(s) == "from task 412, not traced")
        #expect(CauseLabel.closing(s, call: nil) == "from task 412, not traced")
    }
}
