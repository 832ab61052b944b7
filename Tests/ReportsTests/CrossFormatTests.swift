import Analysis
import Foundation
@testable import Reports
import Session
import Testing

/// Every format shows a segment the same way: the `SegmentLabel` of each
/// segment (`[S.] seq 0 ack 1 len 0`), of a recorded run or of a plain
/// capture's connection, is what the text ladder, the Mermaid diagram and the
/// SVG diagram draw for it, escaped for each, and JSON carries the same
/// pieces as fields.
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

    // MARK: Plain captures

    /// The committed captures that are not runs, with their connections.
    static let captures = Fixtures.captureNames.filter { name in
        guard case .capture? = try? ReportInput.load(path: Fixtures.path(name)) else { return false }
        return true
    }

    static func connections(_ name: String) throws -> (ReportInput, [Connection]) {
        let input = try ReportInput.load(path: Fixtures.path(name))
        guard case .capture(_, let connections, _) = input else { throw Fixtures.ToolError(message: "\(name) is a run") }
        return (input, connections)
    }

    @Test("the plain captures have connections with segments")
    func someCaptures() throws {
        #expect(Self.captures.count >= 20)
        #expect(try Self.captures.contains { try !Self.connections($0).1.allSatisfy { $0.segments.isEmpty } })
    }

    /// A connection's two-lane ladder with `--full`: its arrows in order, one per segment.
    @Test("plain capture: text ladder", arguments: captures)
    func captureText(_ name: String) throws {
        for c in try Self.connections(name).1 {
            let arrows = ConnectionText.ladder(c, full: true).split(separator: "\n").filter { $0.contains("▶") || $0.contains("◀") || $0.contains("⟲") }
            #expect(arrows.count == c.segments.count, "\(name) connection \(c.id)")
            for (line, a) in zip(arrows, c.segments) {
                let label = SegmentLabel(a).text
                #expect(line.contains(" " + label + " ") || line.hasSuffix(" " + label), "\(name) frame \(a.segment.frame): \(line)")
            }
        }
    }

    /// Each connection's Mermaid messages in order, the label then its findings: `O->>R: [S] seq 0 len 0`.
    @Test("plain capture: Markdown", arguments: captures)
    func captureMarkdown(_ name: String) throws {
        let (input, connections) = try Self.connections(name)
        let md = ReportRenderer.markdown([input], title: name)
        for c in connections.prefix(MarkdownReport.diagramsPerCapture) where !c.segments.isEmpty {
            let block = try #require(md.range(of: "### connection \(c.id)\n"), "\(name): no diagram for connection \(c.id)")
            let end = md.range(of: "```\n\n", range: block.upperBound..<md.endIndex)?.lowerBound ?? md.endIndex
            let messages = md[block.upperBound..<end].split(separator: "\n").filter { $0.hasPrefix("    O") || $0.hasPrefix("    R") }
                .compactMap { line in line.range(of: ": ").map { String(line[$0.upperBound...]) } }
            #expect(messages.count == min(c.segments.count, MarkdownReport.diagramLimit), "\(name) connection \(c.id)")
            for (message, a) in zip(messages, c.segments) {
                let label = MarkdownReport.text(SegmentLabel(a).text)
                #expect(message == label || message.hasPrefix(label + " ("), "\(name) frame \(a.segment.frame): \(message)")
            }
        }
    }

    /// Each drawn arrow of a connection's SVG (numbered by frame): `#3 [S.] seq 0 ack 1 len 0`.
    @Test("plain capture: HTML", arguments: captures)
    func captureHTML(_ name: String) throws {
        let (input, connections) = try Self.connections(name)
        let html = ReportRenderer.html([input], title: name)
        for c in connections.prefix(HTMLReport.diagramsPerCapture) {
            let n = c.segments.count
            let elided = n > HTMLDiagramBuilder.elideAbove ? HTMLDiagramBuilder.keepFirst..<(n - HTMLDiagramBuilder.keepLast) : 0..<0
            for (i, a) in c.segments.enumerated() where !elided.contains(i) {
                let frame = a.segment.frame
                let label = try #require(Self.arrowLabel(html, index: frame), "\(name): no arrow for frame \(frame)")
                #expect(label == "#\(frame) " + HTMLText.escape(SegmentLabel(a).text), "\(name) frame \(frame)")
            }
        }
    }

    @Test("plain capture: JSON", arguments: captures)
    func captureJSON(_ name: String) throws {
        let (input, connections) = try Self.connections(name)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(ReportRenderer.json([input]).utf8)) as? [String: Any])
        let file = try #require((root["captures"] as? [[String: Any]])?.first)
        let objects = try #require(file["connections"] as? [[String: Any]])
        #expect(objects.count == connections.count)
        for (object, c) in zip(objects, connections) {
            let segments = try #require(object["segments"] as? [[String: Any]])
            #expect(segments.count == c.segments.count, "\(name) connection \(c.id)")
            for (e, a) in zip(segments, c.segments) {
                let label = SegmentLabel(a)
                #expect(e["flags"] as? String == label.flags.tcpdumpNotation, "\(name) frame \(a.segment.frame)")
                #expect(e["rel_seq"] as? Int == Int(label.sequence), "\(name) frame \(a.segment.frame)")
                #expect(e["rel_ack"] as? Int == label.acknowledgment.map(Int.init), "\(name) frame \(a.segment.frame)")
                #expect(e["payload_len"] as? Int == label.length, "\(name) frame \(a.segment.frame)")
            }
        }
    }
}
