import Analysis
import Foundation
@testable import Reports
import Session
import Testing

/// Every format shows a segment the same way: the `SegmentLabel` of each
/// segment of a recorded run (`[S.] seq 0 ack 1 len 0`) is what the text
/// ladder, the Mermaid diagram and the SVG diagram draw for it, escaped for
/// each, and JSON carries the same pieces as fields.
@Suite("one segment, one label in every format")
struct CrossFormatTests {
    /// The committed captures that are runs (synscope's recordings and traces).
    static let runs = Fixtures.captureNames.filter { name in
        guard name.hasSuffix(".pcapng"), case .run? = try? ReportInput.load(path: Fixtures.path(name)) else { return false }
        return true
    }

    static func load(_ name: String) throws -> RunRecord {
        guard case .run(let r) = try ReportInput.load(path: Fixtures.path(name)) else { throw Fixtures.ToolError(message: "\(name) is not a run") }
        return r
    }

    @Test("the recordings include runs")
    func someRuns() {
        #expect(Self.runs.count >= 30)
    }

    /// The ladder with `--full`: each segment's arrow line, right above its `#N cause: …` note.
    @Test("text ladder", arguments: runs)
    func text(_ name: String) throws {
        let r = try Self.load(name)
        let lines = ReportRenderer.text([.run(r)], full: true).split(separator: "\n", omittingEmptySubsequences: false)
        let notePrefix = String(repeating: " ", count: Ladder.timeColumn + 2)
        for s in r.timeline.segments {
            let note = lines.firstIndex { $0.hasPrefix(notePrefix + "#\(s.index) ") }
            let arrow = try #require(note.map { lines[$0 - 1] }, "\(name): no note for #\(s.index)")
            #expect(arrow.contains(" " + SegmentLabel(s).text + " win "), "\(name) #\(s.index): \(arrow)")
        }
    }

    /// The Mermaid message of each segment: `L0->>L1: #35;7 [S.] seq 0 ack 1 len 0`.
    @Test("Markdown", arguments: runs)
    func markdown(_ name: String) throws {
        let r = try Self.load(name)
        let md = ReportRenderer.markdown([.run(r)], title: name)
        let messages = md.split(separator: "\n").filter { $0.hasPrefix("    ") && $0.contains(": #35;") }
        try #require(!TimelineSummary.applies(r.timeline), "\(name): a summary table has no diagram")
        for s in r.timeline.segments {
            let tag = ": " + MarkdownReport.text("#\(s.index)") + " "
            let line = try #require(messages.first { $0.contains(tag) }, "\(name): no message for #\(s.index)")
            #expect(line.hasSuffix(tag + MarkdownReport.text(SegmentLabel(s).text)), "\(name) #\(s.index): \(line)")
        }
    }

    /// The label of each arrow the SVG draws: `#7 [S.] seq 0 ack 1 len 0` once its tags are taken out.
    @Test("HTML", arguments: runs)
    func html(_ name: String) throws {
        let r = try Self.load(name)
        let html = ReportRenderer.html([.run(r)], title: name)
        // A big run's diagram leaves out the middle of its segments.
        let drawn = HTMLReportTests.drawn(r.timeline).segments
        for s in drawn {
            let label = try #require(Self.arrowLabel(html, index: s.index), "\(name): no arrow for #\(s.index)")
            #expect(label == "#\(s.index) " + HTMLText.escape(SegmentLabel(s).text), "\(name) #\(s.index)")
        }
    }

    /// The text of the `lbl` element of segment `index`'s arrow group, tags removed (entities kept).
    static func arrowLabel(_ html: String, index: Int) -> String? {
        guard let group = html.range(of: "<g class=\"seg\" data-index=\"\(index)\""),
              let end = html.range(of: "</g>", range: group.upperBound..<html.endIndex),
              let open = html.range(of: "<text class=\"lbl\"", range: group.upperBound..<end.lowerBound),
              let close = html.range(of: "</text>", range: open.upperBound..<end.lowerBound),
              let start = html.range(of: ">", range: open.upperBound..<close.lowerBound) else { return nil }
        var text = ""
        var inTag = false
        for c in html[start.upperBound..<close.lowerBound] {
            if c == "<" { inTag = true } else if c == ">" { inTag = false } else if !inTag { text.append(c) }
        }
        return text
    }

    /// Each segment event's `flags`, `rel_seq`, `rel_ack` and `payload_len` are the label's pieces.
    @Test("JSON", arguments: runs)
    func json(_ name: String) throws {
        let r = try Self.load(name)
        let data = Data(ReportRenderer.json([.run(r)]).utf8)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let events = try #require(root["events"] as? [[String: Any]])
        let segments = Dictionary(events.filter { $0["kind"] as? String == "segment" }.map { ($0["index"] as? Int ?? -1, $0) },
                                  uniquingKeysWith: { a, _ in a })
        #expect(segments.count == r.timeline.segments.count)
        for s in r.timeline.segments {
            let e = try #require(segments[s.index], "\(name): no event for #\(s.index)")
            let label = SegmentLabel(s)
            #expect(e["flags"] as? String == label.flags.tcpdumpNotation, "\(name) #\(s.index)")
            #expect(e["rel_seq"] as? Int == Int(label.sequence), "\(name) #\(s.index)")
            #expect(e["rel_ack"] as? Int == label.acknowledgment.map(Int.init), "\(name) #\(s.index)")
            #expect(e["rel_ack"] is NSNull == (label.acknowledgment == nil), "\(name) #\(s.index)")
            #expect(e["payload_len"] as? Int == label.length, "\(name) #\(s.index)")
        }
    }
}
