import Analysis
import TraceModel

/// The text report of one run: header, timeline, verdict.
public enum RunText {
    public static func render(_ r: RunRecord, width: Int = 100, color: Bool = false, full: Bool = false) -> String {
        if r.metadata.command != nil { return trace(r, width: width, color: color, full: full) }
        var s = "== scenario \(r.scenario) (\(r.metadata.ipv6 ? "::1" : "127.0.0.1"), kernel \(r.metadata.kernel))\n"
        s += wrap(r.metadata.summary, width: width) + "\n\n"
        s += TimelineText.render(r.timeline, width: width, color: color, full: full)
        if r.metadata.captureDropped > 0 || (r.metadata.captureInterfaceDropped ?? 0) > 0 {
            s += "\nWARNING: packets were dropped during the capture (\(r.metadata.captureDropped) by the capture buffer, \(r.metadata.captureInterfaceDropped ?? 0) by the interface); this timeline is incomplete\n"
        }
        if let why = r.metadata.interrupted {
            s += "\nINTERRUPTED: the run was stopped by \(why); the timeline ends there\n"
        }
        if r.results.isEmpty {
            s += "\n(no expectations: the scenario is not in this synscope's catalogue)\n\n"
            return s
        }
        s += "\n"
        for e in r.results {
            s += (e.passed ? "  ok    " : "  DIFF  ") + e.expectation
            if !e.passed { s += "\n          observed: " + e.observed }
            s += "\n"
        }
        s += r.passed ? "PASS \(r.scenario)\n\n" : "DIFF \(r.scenario)\n\n"
        return s
    }

    /// A traced command: its processes, the timeline, how it ended and what was left out.
    static func trace(_ r: RunRecord, width: Int, color: Bool, full: Bool) -> String {
        let m = r.metadata
        var s = "== trace \(m.summary)\n"
        s += "   kernel \(m.kernel), \(m.host == true ? "host namespace, \(m.device ?? "lo")" : "private namespace, loopback \(m.device ?? "lo")")\n"
        let processes = m.processes ?? []
        if !processes.isEmpty {
            let shown = processes.prefix(12).map { p in "\(p.name)[\(p.pid)]" + (p.parent.map { " (from \($0))" } ?? "") }
            s += wrap("processes: " + shown.joined(separator: ", ") + (processes.count > 12 ? ", and \(processes.count - 12) more" : ""),
                      width: width, indent: "   ") + "\n"
        }
        // The ladder's columns cut long lane names: name them in full first.
        let lanes = r.timeline.sockets
        if !lanes.isEmpty && (full || !TimelineSummary.applies(r.timeline)) {
            s += wrap("sockets: " + lanes.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: "; "), width: width, indent: "   ") + "\n"
        }
        s += "\n"
        s += TimelineText.render(r.timeline, width: width, color: color, full: full)
        s += "\n"
        if m.captureDropped > 0 || (m.captureInterfaceDropped ?? 0) > 0 {
            s += "WARNING: packets were dropped during the capture (\(m.captureDropped) by the capture buffer, \(m.captureInterfaceDropped ?? 0) by the interface); this timeline is incomplete\n"
        }
        if let why = m.interrupted { s += "INTERRUPTED: the trace was stopped by \(why); the timeline ends there\n" }
        if let n = m.callsLeftOut, n > 0 { s += "left out: \(n) calls on files, pipes and non-IP sockets (and waits with no socket call after them)\n" }
        if let n = m.packetsLeftOut, n > 0 { s += "left out: \(n) packets of other programs on \(m.device ?? "the interface")\n" }
        if let status = m.exitStatus { s += "exit status \(status)\(status > 128 ? " (signal \(status - 128))" : "")\n" }
        return s + "\n"
    }

    /// `text` wrapped at word boundaries to `width` columns, each line after `indent`.
    public static func wrap(_ text: String, width: Int, indent: String = "") -> String {
        TextWrap.lines(text, width: width - indent.count).map { indent + $0 }.joined(separator: "\n")
    }
}
