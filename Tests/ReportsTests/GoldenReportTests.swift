import Foundation
import Reports
import Analysis
import Session
import TestSupport
import Testing

/// `synscope report` (text ladder, Markdown, and the HTML's digest) on every
/// committed capture equals its golden in captures/goldens, which only
/// `tools/record-captures --goldens` rewrites.
@Suite("report goldens")
struct GoldenReportTests {
    static func render(_ name: String) throws -> (text: String, markdown: String) {
        let relative = "captures/\(name)"
        let input = try ReportInput.load(path: Fixtures.path(name))
        // The goldens were made from the repository root with relative paths.
        let text = ReportRenderer.text([input]).replacingOccurrences(of: Fixtures.path(name), with: relative)
        let markdown = ReportRenderer.markdown([input], title: "synscope report: \(relative)")
            .replacingOccurrences(of: Fixtures.path(name), with: relative)
        return (text, markdown)
    }

    static func golden(_ name: String) throws -> String {
        try String(contentsOf: Fixtures.captures.appendingPathComponent("goldens/\(name)"), encoding: .utf8)
    }

    @Test("text ladder", arguments: Fixtures.captureNames)
    func text(_ name: String) throws {
        #expect(try Self.render(name).text == Self.golden("\(name).txt"), "rerun tools/record-captures --goldens if the change is intended")
    }

    @Test("Markdown with Mermaid", arguments: Fixtures.captureNames)
    func markdown(_ name: String) throws {
        let md = try Self.render(name).markdown
        #expect(md == (try Self.golden("\(name).md")), "rerun tools/record-captures --goldens if the change is intended")
        // Every Mermaid block is closed, and no message carries a ';' or a raw '#'.
        let fences = md.components(separatedBy: "```").count - 1
        #expect(fences % 2 == 0)
        for line in md.split(separator: "\n") where line.contains("->>") || line.contains("-x") || line.contains("--)") {
            let message = line.split(separator: ":", maxSplits: 1).last ?? ""
            #expect(!message.contains(";") || message.contains("#35;"), "\(name): \(line)")
        }
    }

    /// The HTML is large, so its golden is a digest (`sha256sum`'s), made by
    /// `tools/record-captures --goldens` from `synscope report --format html`.
    @Test("HTML report digest", arguments: Fixtures.captureNames)
    func html(_ name: String) throws {
        let relative = "captures/\(name)"
        let input = try ReportInput.load(path: Fixtures.path(name), keepPackets: false, segmentsUpToID: HTMLReport.diagramsPerCapture)
        let html = ReportRenderer.html([input], title: "synscope report: \(relative)")
            .replacingOccurrences(of: Fixtures.path(name), with: relative)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-golden-\(UUID().uuidString).html").path
        defer { unlink(file) }
        try html.write(toFile: file, atomically: false, encoding: .utf8)
        let digest = try Fixtures.run(try Fixtures.tool("sha256sum"), [file]).prefix(64)
        let goldens = try Self.golden("html.sha256").split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        let expected = goldens.first { $0.count == 2 && $0[1] == "\(name).html" }?[0]
        #expect(expected != nil && digest == expected!, "rerun tools/record-captures --goldens if the change is intended")
    }

    @Test("JSON of an annotated pcapng equals the JSON of its source", arguments: ["run-connect.pcapng", "conn-graceful.pcap"])
    func roundTrip(_ name: String) throws {
        let input = try ReportInput.load(path: Fixtures.path(name))
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-rt-\(UUID().uuidString).pcapng").path
        defer { unlink(out) }
        switch input {
        case .run(let r): try AnnotatedPcapng.write(r, to: out)
        case .capture(_, let connections, let packets): try AnnotatedPcapng.write(packets: packets, connections: connections, to: out)
        }
        let again = try ReportInput.load(path: out)
        let a = ReportRenderer.json([input]).replacingOccurrences(of: Fixtures.path(name), with: "FILE")
        let b = ReportRenderer.json([again]).replacingOccurrences(of: out, with: "FILE")
        #expect(a == b)
        // capinfos accepts it, and tshark shows the comments.
        _ = try Fixtures.run(try Fixtures.tool("capinfos"), [out])
        let comments = try Fixtures.run(try Fixtures.tool("tshark"), ["-r", out, "-Y", "!frame.cb_pen", "-T", "fields", "-e", "frame.comment"])
        #expect(comments.contains("synscope"))
    }
}
