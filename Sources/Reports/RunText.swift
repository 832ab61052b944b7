import Analysis
import Scenarios
import TraceModel

/// The text report of one run: header, timeline, verdict.
public enum RunText {
    public static func render(_ r: RunRecord, width: Int = 100, color: Bool = false, full: Bool = false) -> String {
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

    /// `text` wrapped at word boundaries to `width` columns, each line after `indent`.
    public static func wrap(_ text: String, width: Int, indent: String = "") -> String {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if indent.count + line.count + word.count + 1 > width && !line.isEmpty {
                lines.append(indent + line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(indent + line) }
        return lines.joined(separator: "\n")
    }
}
