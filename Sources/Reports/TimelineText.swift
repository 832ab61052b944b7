import Analysis
import PacketWire
import TraceModel

/// The terminal timeline of a run: one line per syscall on its socket's
/// lane, one per segment as an arrow between lanes, each segment followed by
/// its cause and explanation, and each endpoint's state after it.
public enum TimelineText {
    /// Renders the ladder `width` columns wide; `color` adds ANSI colours;
    /// without `full`, runs of plain data segments are collapsed into one line.
    public static func render(_ t: Timeline, width: Int = 100, color: Bool = false, full: Bool = false) -> String {
        if !full && TimelineSummary.applies(t) {
            return TimelineSummary.text(t) + (CauseLabel.summary(t).map { "\n" + $0 + "\n" } ?? "")
        }
        var drawing = TimelineLadder(t, width: width, color: color, full: full)
        drawing.draw()
        if let summary = CauseLabel.summary(t) { drawing.ladder.out += "\n" + summary + "\n" }
        return drawing.ladder.out
    }

    /// The run of plain segments starting at `i`: data or pure ACKs of one
    /// connection, no SYN/FIN/RST, no findings, no state change, no call in between.
    static func collapsible(_ entries: [TimelineEntry], from i: Int) -> [TimelineSegment]? {
        guard case .segment(let first) = entries[i] else { return nil }
        var run: [TimelineSegment] = []
        var j = i
        while j < entries.count, case .segment(let s) = entries[j], s.annotated.connection == first.annotated.connection,
              s.segment.flags.isSubset(of: [.ack, .psh]), s.annotated.findings.isEmpty, s.annotated.states == first.annotated.states {
            run.append(s)
            j += 1
        }
        return run
    }

    /// The kernel's table after a call. When the run has the kernel's state
    /// changes, those are shown instead, and the table only adds the listeners' queues.
    static func kernelStates(_ e: SyscallEvent, changesShown: Bool = false) -> String? {
        let interesting = e.snapshot.filter { changesShown ? $0.state == .listen : $0.state != .closed || (e.call == .close && $0.socket == e.socket) }
        guard !interesting.isEmpty else { return nil }
        return SnapshotText.text(interesting, dataQueues: false)
    }
}
