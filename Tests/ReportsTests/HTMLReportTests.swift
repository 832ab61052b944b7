import Analysis
import Capture
import Foundation
import PacketWire
import Reports
import Scenarios
import Session
import TestSupport
import Testing
import TraceModel
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The HTML report (`HTMLReport`) of synscope's recordings and of plain
/// captures: self-contained, one arrow per segment, errors in red, and a
/// real browser that loads it without errors or requests.
@Suite("HTML report")
struct HTMLReportTests {
    /// The recorded runs a diagram draws whole (at most 200 segments and 400 entries:
    /// HTMLDiagramBuilder elides the middle of larger ones, which "large runs" tests).
    static let runs = Fixtures.captureNames.filter { $0.hasPrefix("run-") && $0.hasSuffix(".pcapng") }.filter { name in
        guard let r = try? load(name) else { return true }
        return r.timeline.segments.count <= 200 && r.timeline.entries.count <= 400
    }
    static let coreRuns = ["run-connect.pcapng", "run-self-connect.pcapng", "run-close.pcapng", "run-unlistened-port.pcapng"]

    static func load(_ name: String) throws -> RunRecord {
        try #require(try SavedRun.load(path: Fixtures.path(name)), "\(name) has no synscope metadata")
    }

    /// What a run's diagram draws: every entry, or for a big run (syn-flood-cookies)
    /// the entries up to its 100th segment and from its 50th-last one, the rest
    /// folded into one gap row (HTMLDiagramBuilder: 200 segments, or 400 entries
    /// of which it keeps the first 200 and the last 100).
    static func drawn(_ t: Timeline) -> (segments: [TimelineSegment], calls: Int) {
        let positions = t.entries.indices.filter { if case .segment = t.entries[$0] { true } else { false } }
        var elided: Range<Int>? = nil
        if positions.count > 200 {
            elided = (positions[99] + 1)..<positions[positions.count - 50]
        } else if t.entries.count > 400 {
            elided = 200..<(t.entries.count - 100)
        }
        var segments: [TimelineSegment] = []
        var calls = 0
        for (p, e) in t.entries.enumerated() where !(elided?.contains(p) ?? false) {
            switch e {
            case .segment(let seg): segments.append(seg)
            case .syscall: calls += 1
            case .datagram: break
            }
        }
        return (segments, calls)
    }

    static func html(_ name: String) throws -> (RunRecord, String) {
        let r = try load(name)
        return (r, HTMLReport.render(runs: [r], connections: [], title: "synscope report: \(name)"))
    }

    /// The connections of a plain capture, with their segments.
    static func connections(_ name: String) throws -> [Connection] {
        var tracker = ConnectionTracker(options: .init(keepSegments: true))
        var out: [Connection] = []
        for p in try CaptureFileReader(path: Fixtures.path(name)).readAll() {
            let d = p.bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: p.linkType, originalLength: p.originalLength) }
            guard let s = TCPSegment(d, frame: p.frame, time: p.timestamp) else { continue }
            out += tracker.observe(s).emitted
        }
        return (out + tracker.finish()).sorted { $0.id < $1.id }
    }

    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    /// Every value of `attribute` in the tags of the document (text is
    /// escaped, so every `<` starts a tag, and every `>` ends one).
    static func attributeValues(_ attribute: String, in text: String) -> [String] {
        var values: [String] = []
        for piece in text.split(separator: "<").dropFirst() {
            let tag = piece.prefix { $0 != ">" }
            guard !tag.hasPrefix("!"), !tag.hasPrefix("/") else { continue }
            for rest in tag.components(separatedBy: " \(attribute)=").dropFirst() {
                guard let quote = rest.first, quote == "\"" || quote == "'" else { values.append(String(rest.prefix { !$0.isWhitespace })); continue }
                values.append(String(rest.dropFirst().prefix { $0 != quote }))
            }
        }
        return values
    }

    /// Occurrences of `needle` inside the SVG diagrams only.
    static func countInDiagrams(_ needle: String, in text: String) -> Int {
        svgs(text).reduce(0) { $0 + count(needle, in: $1) }
    }

    /// The `<svg>…</svg>` elements of a document.
    static func svgs(_ text: String) -> [String] {
        text.components(separatedBy: "<svg").dropFirst().map { "<svg" + ($0.components(separatedBy: "</svg>").first ?? "") + "</svg>" }
    }

    /// The contents of each `<div class="diagram">`: one diagram, in one or more SVG parts.
    static func diagrams(_ text: String) -> [String] {
        text.components(separatedBy: "<div class=\"diagram\">").dropFirst().map { $0.components(separatedBy: "</div>").first ?? "" }
    }

    // MARK: Static checks

    @Test("self-contained: nothing fetched from anywhere, CSS and JS inline", arguments: runs)
    func selfContained(_ name: String) throws {
        let (_, html) = try Self.html(name)
        for attr in ["src", "href", "xlink:href", "action", "data", "poster", "srcset"] {
            for v in Self.attributeValues(attr, in: html) {
                #expect(v.hasPrefix("#"), "\(name): \(attr)=\"\(v)\" is not an in-page reference")
            }
        }
        #expect(!html.contains("http://") && !html.contains("https://"), "\(name): a URL in the report")
        for tag in ["<link", "<img", "<iframe", "<object", "<embed", "@import", "url("] {
            #expect(!html.contains(tag), "\(name): \(tag) in the report")
        }
        #expect(Self.count("<style>", in: html) == 1 && Self.count("<script>", in: html) == 1)
        #expect(html.contains("Content-Security-Policy\" content=\"default-src 'none'"))
    }

    @Test("one arrow with class=\"seg\" and data-index per segment of the timeline", arguments: runs)
    func oneArrowPerSegment(_ name: String) throws {
        let (r, html) = try Self.html(name)
        let (segments, calls) = Self.drawn(r.timeline)
        #expect(Self.count("class=\"seg\"", in: html) == segments.count)
        let indexes = html.components(separatedBy: "<g class=\"seg\" data-index=\"").dropFirst().map { Int($0.prefix { $0.isNumber }) }
        #expect(indexes == segments.map { Optional($0.index) })
        #expect(Self.count("<g class=\"dgram\"", in: html) == r.timeline.datagrams.count)
        #expect(Self.count("<g class=\"call", in: html) == calls)
        // Every arrow is labelled with its tcpdump flags and relative numbers.
        for s in segments {
            #expect(html.contains("<tspan class=\"flags\">[\(s.segment.flags.tcpdumpNotation)]</tspan> seq \(s.annotated.relativeSequence)"))
        }
    }

    @Test("well-formed: balanced elements, and every SVG parses as XML", arguments: runs)
    func wellFormed(_ name: String) throws {
        let (_, html) = try Self.html(name)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        for tag in ["svg", "g", "section", "table", "details", "ul", "p", "script", "style", "title", "text"] {
            #expect(Self.count("<\(tag) ", in: html) + Self.count("<\(tag)>", in: html) == Self.count("</\(tag)>", in: html), "\(name): <\(tag)> unbalanced")
        }
        let svgs = Self.svgs(html)
        #expect(Self.diagrams(html).count == 1)
        #expect(svgs.count >= 1 && svgs.count == Self.count("<svg", in: Self.diagrams(html)[0]))
        for svg in svgs {
            let parser = XMLParser(data: Data(svg.utf8))
            #expect(parser.parse(), "\(name): SVG is not well-formed XML: \(String(describing: parser.parserError))")
        }
    }

    @Test("the tooltip of each segment holds its header fields, cause and explanation", arguments: runs)
    func tooltips(_ name: String) throws {
        let (r, html) = try Self.html(name)
        for s in Self.drawn(r.timeline).segments {
            let start = try #require(html.range(of: "<g class=\"seg\" data-index=\"\(s.index)\""))
            let title = html[start.upperBound...].components(separatedBy: "<title>")[1].components(separatedBy: "</title>")[0]
            #expect(title.contains("seq: \(s.annotated.relativeSequence) relative, \(s.segment.sequence.rawValue) raw"))
            #expect(title.contains("window: \(s.segment.window)"))
            #expect(title.contains("payload length: \(s.segment.payloadLength)"))
            #expect(title.contains("options: "))
            if let mss = s.segment.options.maximumSegmentSize { #expect(title.contains("mss \(mss)")) }
            #expect(title.contains("cause: "))
            #expect(title.contains("explanation: " + escape(s.explanation)))
        }
    }

    func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }

    @Test("errors are red: calls with an errno, RSTs and ICMP errors")
    func errorsHighlighted() throws {
        let (r, html) = try Self.html("run-unlistened-port.pcapng")
        let failed = r.timeline.syscalls.filter { $0.event.error != nil }
        #expect(failed.count == 2)
        for c in failed {
            #expect(html.contains("<g class=\"call err\" data-index=\"\(c.index)\""))
            #expect(html.contains("= -1 ECONNREFUSED</text>"))
        }
        #expect(Self.count("<g class=\"call err\"", in: html) == failed.count)
        let rsts = r.timeline.segments.filter { $0.segment.isRST }
        #expect(rsts.count == 2)
        for s in rsts { #expect(html.contains("<g class=\"seg\" data-index=\"\(s.index)\" data-kind=\"rst\" data-alert=\"rst\"")) }
        #expect(Self.countInDiagrams("data-alert=\"rst\"", in: html) == 2)
        // The stylesheet paints them red.
        #expect(html.contains(".seqdiag [data-alert=\"rst\"] .ln, .seqdiag [data-alert=\"error\"] .ln { stroke: var(--red)"))
        #expect(html.contains(".seqdiag .call.err .lbl { fill: var(--red)"))
        // Refused connections are marked in the table.
        #expect(html.contains("<td class=\"hs-refused\">refused</td>"))

        let (u, udp) = try Self.html("run-udp-connect.pcapng")
        let icmp = u.timeline.datagrams.filter { $0.proto != .udp }
        #expect(!icmp.isEmpty)
        #expect(Self.countInDiagrams("data-alert=\"error\"", in: udp) == icmp.count)
        #expect(Self.count("<g class=\"call err\"", in: udp) == u.timeline.syscalls.filter { $0.event.error != nil }.count)
    }

    @Test("no errors, no red: a clean handshake has no alerts")
    func cleanRunHasNoAlerts() throws {
        let (_, html) = try Self.html("run-connect.pcapng")
        #expect(Self.countInDiagrams("data-alert=", in: html) == 0)
        #expect(!html.contains("class=\"call err\""))
    }

    @Test("the scenario's summary, its expectations and the verdict", arguments: runs)
    func summaryAndExpectations(_ name: String) throws {
        let (r, html) = try Self.html(name)
        #expect(html.contains("<p class=\"summary\">" + escape(r.metadata.summary) + "</p>"))
        #expect(!r.results.isEmpty)
        for e in r.results {
            #expect(html.contains((e.passed ? "<span class=\"badge pass\">ok</span> " : "<span class=\"badge diff\">DIFF</span> ") + escape(e.expectation)))
        }
        #expect(html.contains("<p class=\"verdict pass\">PASS \(r.scenario)</p>"))
        #expect(!html.contains("<nav class=\"index\">"), "one input needs no index")
    }

    @Test("a DIFF is shown with what was observed")
    func diffShown() throws {
        var r = try Self.load("run-connect.pcapng")
        r.results[0].passed = false
        r.results[0].observed = "connect() gave <ECONNREFUSED>"
        let html = HTMLReport.render(runs: [r], connections: [], title: "t")
        #expect(html.contains("<span class=\"badge diff\">DIFF</span>"))
        #expect(html.contains("observed: connect() gave &lt;ECONNREFUSED&gt;"))
        #expect(html.contains("<p class=\"verdict diff\">DIFF connect</p>"))
    }

    @Test("lanes: one per socket, and one for an address no socket has")
    func lanes() throws {
        let (_, html) = try Self.html("run-unlistened-port.pcapng")
        let names = html.components(separatedBy: "<text class=\"name\"").dropFirst().map { $0.components(separatedBy: ">")[1].components(separatedBy: "<")[0] }
        #expect(names == ["client", "127.0.0.1:9", "bound", "client2"])
        #expect(html.contains("<g class=\"lanehead phantom\">"))
        // State bands: the client passes SYN-SENT, then CLOSED after the RST.
        #expect(html.contains(">SYN-SENT</text>"))
        #expect(html.contains("<rect class=\"band\""))
        let (_, close) = try Self.html("run-close.pcapng")
        for state in ["LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "LAST-ACK", "TIME-WAIT", "CLOSED"] {
            #expect(close.contains(">\(state)</text></g>"), "close: no \(state) label")
        }
    }

    @Test("several inputs: an index linking every run and capture")
    func index() throws {
        let records = try Self.runs.map { try Self.load($0) }
        let graceful = try Self.connections("conn-graceful.pcap")
        let html = HTMLReport.render(runs: records, connections: [(file: "conn-graceful.pcap", connections: graceful)], title: "all")
        #expect(html.contains("<nav class=\"index\">"))
        for i in 1...records.count {
            #expect(html.contains("<a href=\"#run-\(i)\">scenario \(records[i - 1].scenario)</a>"))
            #expect(html.contains("<section class=\"run\" id=\"run-\(i)\">"))
        }
        #expect(html.contains("<a href=\"#file-1\">conn-graceful.pcap</a>"))
        #expect(Self.count("class=\"seg\"", in: html) == records.reduce(0) { $0 + Self.drawn($1.timeline).segments.count } + graceful.reduce(0) { $0 + $1.segments.count })
        let ids = Self.attributeValues("id", in: html)
        #expect(Set(ids).count == ids.count, "duplicate ids")
        for href in Self.attributeValues("href", in: html) { #expect(ids.contains(String(href.dropFirst())), "dangling link \(href)") }
    }

    @Test("plain captures: a lane per endpoint and a diagram per connection", arguments: ["conn-graceful.pcap", "conn-refused.pcap", "conn-self-connect.pcap", "synthetic-retransmission.pcap"])
    func plainCapture(_ name: String) throws {
        let conns = try Self.connections(name)
        #expect(!conns.isEmpty)
        let html = HTMLReport.render(runs: [], connections: [(file: name, connections: conns)], title: name)
        #expect(Self.count("class=\"seg\"", in: html) == conns.reduce(0) { $0 + $1.segments.count })
        #expect(Self.count("<details class=\"conn", in: html) == conns.count)
        #expect(Self.diagrams(html).count == conns.count)
        #expect(html.contains("<text class=\"name\" x=") && html.contains(">originator"))
        for svg in Self.svgs(html) { #expect(XMLParser(data: Data(svg.utf8)).parse()) }
        for c in conns {
            #expect(html.contains("<td>\(c.connState)</td><td><code>\(escape(c.history.isEmpty ? "-" : c.history))</code></td>"))
            for f in c.findingCounts.keys { #expect(html.contains(f.name)) }
        }
        if name == "conn-refused.pcap" { #expect(html.contains("data-alert=\"rst\"")) }
        if name == "synthetic-retransmission.pcap" { #expect(html.contains("data-alert=\"finding\"") && html.contains("⚠ retransmission")) }
    }

    @Test("large inputs: connections beyond the first 20 start collapsed, long connections draw 100 + 50 arrows")
    func largeCapture() throws {
        let base = try #require(try Self.connections("conn-graceful.pcap").first)
        var many: [Connection] = []
        for i in 1...25 {
            var c = base
            c.id = i
            many.append(c)
        }
        var long = base
        long.id = 26
        long.segments = Array(repeating: base.segments, count: 100).flatMap { $0 }  // 100 × the graceful connection
        many.append(long)
        let html = HTMLReport.render(runs: [], connections: [(file: "big", connections: many)], title: "big")
        #expect(Self.count("<details class=\"conn", in: html) == 26)
        #expect(Self.count("\" open><summary>", in: html) == HTMLReport.openConnections)
        #expect(Self.diagrams(html).count == 26)
        let longSVG = try #require(Self.diagrams(html).last)
        // Drawn in parts, none of them one giant SVG.
        let parts = Self.svgs(longSVG)
        #expect(parts.count > 1)
        for part in parts {
            let height = Double(part.components(separatedBy: " height=\"")[1].prefix { $0 != "\"" }) ?? .infinity
            #expect(height < 800)
        }
        #expect(Self.count("class=\"seg\"", in: longSVG) == 150)
        let hidden = long.segments.count - 150
        #expect(longSVG.contains("… \(hidden) segments (frames"))
        #expect(longSVG.contains("not drawn …"))
        #expect(Self.count("class=\"seg\"", in: html) == 25 * base.segments.count + 150)
    }

    @Test("large runs: only the first 100 and last 50 segments are drawn, with a marker")
    func largeRun() throws {
        var r = try Self.load("run-connect.pcapng")
        let entries = r.timeline.entries
        var grown: [TimelineEntry] = []
        var next = 0
        for copy in 0..<30 {
            for e in entries {
                guard case .segment(var s) = e else { if copy == 0 { grown.append(e.reindexed(next)) ; next += 1 }; continue }
                s.index = next
                next += 1
                grown.append(.segment(s))
            }
        }
        r.timeline.entries = grown
        let segments = r.timeline.segments
        #expect(segments.count > 200)
        let html = HTMLReport.render(runs: [r], connections: [], title: "big run")
        #expect(Self.count("class=\"seg\"", in: html) == 150)
        let drawn = html.components(separatedBy: "<g class=\"seg\" data-index=\"").dropFirst().map { Int($0.prefix { $0.isNumber })! }
        #expect(drawn == segments.prefix(100).map(\.index) + segments.suffix(50).map(\.index))
        #expect(html.contains("… \(segments.count - 150) segments (#\(segments[100].index)–#\(segments[segments.count - 51].index))"))
        #expect(Self.diagrams(html).count == 1)
        for svg in Self.svgs(html) { #expect(XMLParser(data: Data(svg.utf8)).parse()) }
    }

    @Test("all text is escaped")
    func escaping() throws {
        var r = try Self.load("run-connect.pcapng")
        r.metadata.summary = "<script>alert('x')</script> & \"quotes\""
        let html = HTMLReport.render(runs: [r], connections: [(file: "<img src=x onerror=alert(1)>.pcap", connections: [])], title: "a < b & \"c\"")
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;"))
        #expect(html.contains("<title>a &lt; b &amp; &quot;c&quot;</title>"))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;.pcap"))
    }

    @Test("no inputs: still a page")
    func empty() {
        let html = HTMLReport.render(runs: [], connections: [], title: "nothing")
        #expect(html.contains("Nothing to report"))
        #expect(!html.contains("<svg"))
    }

    // MARK: A real browser

    /// Runs a program; returns its exit status, stdout and stderr.
    static func execute(_ executable: String, _ arguments: [String], timeout: TimeInterval = 120) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Files, not pipes: chromium's helpers may keep a pipe open after it exits.
        let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw Fixtures.ToolError(message: "\(executable) did not finish within \(Int(timeout)) s")
        }
        return (process.terminationStatus, (try? String(contentsOf: outURL, encoding: .utf8)) ?? "", (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    static func chromiumArguments(profile: URL) -> [String] {
        ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--metrics-recording-only",
         "--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0"]
    }

    /// Console messages (the report logs none, so any is an error, an
    /// uncaught exception or a load its Content-Security-Policy blocked) and
    /// failed loads in chromium's log.
    static func browserProblems(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { line in
            line.contains(":CONSOLE") || line.contains("Uncaught") || line.contains("Content Security Policy") || line.contains("net::ERR_")
        }
    }

    @Test("chromium loads each report with no console error and no request, and screenshots it", arguments: runs)
    func chromium(_ name: String) throws {
        // Debian's chromium (tools/setup); missing, the test fails like the tshark tests.
        let chromium = try Fixtures.tool("chromium")
        let (r, html) = try Self.html(name)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html")
        try html.write(to: page, atomically: true, encoding: .utf8)

        // The page's own script counts what it holds and clicks the first segment.
        let dom = try Self.execute(chromium, Self.chromiumArguments(profile: dir.appendingPathComponent("profile-dom")) + ["--dump-dom", page.absoluteString + "#synscope-selftest"])
        #expect(dom.status == 0, "\(name): chromium --dump-dom exited \(dom.status): \(dom.err.suffix(2000))")
        let title = dom.out.components(separatedBy: "<title>").dropFirst().first?.components(separatedBy: "</title>").first ?? ""
        let shown = Self.drawn(r.timeline)
        let expected = "ok:segs=\(shown.segments.count);calls=\(shown.calls);svgs=\(Self.svgs(html).count);panel="
        #expect(title.hasPrefix(expected), "\(name): the page's self-test says \(title)")
        let panelRows = Int(title.components(separatedBy: "panel=").last?.prefix { $0.isNumber || $0 == "-" } ?? "") ?? -1
        // A run with nothing on the wire (bind-conflict) has no arrow to click.
        let minimum = !r.timeline.segments.isEmpty ? 10 : !r.timeline.datagrams.isEmpty ? 3 : 0
        #expect(panelRows >= minimum, "\(name): clicking the first arrow showed \(panelRows) fields")
        #expect(title.contains(";resources=0;"), "\(name): the page made requests: \(title)")
        #expect(Self.browserProblems(dom.err).isEmpty, "\(name): \(Self.browserProblems(dom.err))")

        let png = dir.appendingPathComponent("shot.png")
        let shot = try Self.execute(chromium, Self.chromiumArguments(profile: dir.appendingPathComponent("profile-shot")) +
                                    ["--hide-scrollbars", "--window-size=1280,2000", "--screenshot=\(png.path)", page.absoluteString])
        #expect(shot.status == 0, "\(name): chromium --screenshot exited \(shot.status): \(shot.err.suffix(2000))")
        #expect(Self.browserProblems(shot.err).isEmpty, "\(name): \(Self.browserProblems(shot.err))")
        let data = try Data(contentsOf: png)
        #expect(data.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(name): the screenshot is not a PNG")
        #expect(data.count > 20_000, "\(name): the screenshot is suspiciously small (\(data.count) bytes)")
    }

    // MARK: For tools/screenshot-report

    /// Writes the report of each core recording (and of all recordings) to
    /// $SYNSCOPE_HTML_OUT; runs only when that is set.
    @Test("writes the core recordings' reports for tools/screenshot-report",
          .enabled(if: ProcessInfo.processInfo.environment["SYNSCOPE_HTML_OUT"] != nil))
    func writeReports() throws {
        let out = try #require(ProcessInfo.processInfo.environment["SYNSCOPE_HTML_OUT"])
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for name in Self.coreRuns {
            let (_, html) = try Self.html(name)
            let stem = name.replacingOccurrences(of: "run-", with: "").replacingOccurrences(of: ".pcapng", with: "")
            try html.write(toFile: out + "/" + stem + ".html", atomically: true, encoding: .utf8)
        }
    }
}

extension TimelineEntry {
    /// The same entry under another index (for the large-run test).
    func reindexed(_ i: Int) -> TimelineEntry {
        switch self {
        case .syscall(var c): c.index = i; return .syscall(c)
        case .segment(var s): s.index = i; return .segment(s)
        case .datagram(var d): d.index = i; return .datagram(d)
        }
    }
}

/// Every other committed capture (the plain pcap/pcapng ones) in one report,
/// opened once in Chromium: no console error, no request, every drawn arrow.
@Suite("HTML report of every plain capture")
struct HTMLPlainCapturesTests {
    @Test("one report of every plain capture opens in chromium with no errors")
    func allPlainCaptures() throws {
        let chromium = try Fixtures.tool("chromium")
        let names = Fixtures.captureNames.filter { !$0.hasPrefix("run-") }
        var captures: [(file: String, connections: [Connection])] = []
        for name in names {
            if case .capture(let file, let connections, _) = try ReportInput.load(path: Fixtures.path(name), keepPackets: false) {
                captures.append((file, connections))
            }
        }
        let html = HTMLReport.render(runs: [], connections: captures, title: "all plain captures")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-html-all-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html")
        try html.write(to: page, atomically: true, encoding: .utf8)
        let dom = try HTMLReportTests.execute(chromium, HTMLReportTests.chromiumArguments(profile: dir.appendingPathComponent("profile"))
            + ["--dump-dom", page.absoluteString + "#synscope-selftest"])
        #expect(dom.status == 0)
        let title = dom.out.components(separatedBy: "<title>").dropFirst().first?.components(separatedBy: "</title>").first ?? ""
        let drawn = html.components(separatedBy: "class=\"seg\"").count - 1
        #expect(drawn > 0)
        #expect(title.hasPrefix("ok:segs=\(drawn);"), "the page's self-test says \(title)")
        #expect(title.contains(";resources=0;"), "the page made requests: \(title)")
        #expect(HTMLReportTests.browserProblems(dom.err).isEmpty, "\(HTMLReportTests.browserProblems(dom.err))")
    }
}
