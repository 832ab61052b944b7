import Analysis
import PacketWire
import TraceModel

/// `synscope report --format html`: one self-contained page (inline CSS and
/// JS, no requests) for saved runs and plain captures. Each run gets its
/// summary, expectations, a connection table and an SVG sequence diagram with
/// a lane per socket; each capture a connection table and, per connection, a
/// collapsible diagram with a lane per endpoint. Hovering a segment shows its
/// header fields; clicking it shows them in a panel.
public enum HTMLReport {
    /// Connections of a capture shown open; the rest start collapsed.
    public static let openConnections = 20
    /// Connections of a capture that get a diagram; the rest are in the table only.
    public static let diagramsPerCapture = 200
    /// Rows of a capture's connection table shown at once; the rest are collapsed.
    public static let tableRows = 1000

    public static func render(runs: [RunRecord], connections: [(file: String, connections: [Connection])], title: String) -> String {
        var s = ""
        s.reserveCapacity(64 * 1024)
        s += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        // Nothing may be fetched: the browser enforces what the report promises.
        s += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"synscope\">\n"
        s += "<title>\(HTMLText.escape(title))</title>\n<style>\n\(HTMLAssets.css)</style>\n</head>\n<body>\n"
        s += "<header class=\"top\"><h1>\(HTMLText.escape(title))</h1>\n<p class=\"meta\">\(HTMLText.escape(overview(runs: runs, connections: connections)))</p></header>\n"
        if runs.count + connections.count > 1 { s += index(runs: runs, connections: connections) }
        if runs.count + connections.count > 0 { s += HTMLAssets.legend }
        if runs.isEmpty && connections.isEmpty { s += "<p class=\"empty\">Nothing to report: no inputs.</p>\n" }
        for (i, r) in runs.enumerated() { s += run(r, id: "run-\(i + 1)") }
        for (i, c) in connections.enumerated() { s += capture(file: c.file, connections: c.connections, id: "file-\(i + 1)") }
        s += "<aside id=\"panel\" class=\"panel\" hidden aria-live=\"polite\"><button type=\"button\" class=\"close\" aria-label=\"Close\">×</button><h3></h3><table><tbody></tbody></table></aside>\n"
        s += "<script>\n\(HTMLAssets.script)</script>\n</body>\n</html>\n"
        return s
    }


    static func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }

    static func overview(runs: [RunRecord], connections: [(file: String, connections: [Connection])]) -> String {
        var parts: [String] = []
        if !runs.isEmpty {
            let passed = runs.filter { !$0.results.isEmpty && $0.passed }.count
            parts.append(plural(runs.count, "scenario run") + (runs.contains { !$0.results.isEmpty } ? " (\(passed) PASS)" : ""))
        }
        if !connections.isEmpty {
            parts.append(plural(connections.count, "capture") + " with " + plural(connections.reduce(0) { $0 + $1.connections.count }, "connection"))
        }
        parts.append("rows in time order, not to scale; hover or click a segment for its header fields")
        return parts.joined(separator: " · ")
    }

    static func verdict(_ r: RunRecord) -> (text: String, cls: String) {
        if let status = r.metadata.exitStatus { return ("exit \(status)", status == 0 ? "pass" : "diff") }
        return r.results.isEmpty ? ("unchecked", "unchecked") : r.passed ? ("PASS", "pass") : ("DIFF", "diff")
    }

    static func index(runs: [RunRecord], connections: [(file: String, connections: [Connection])]) -> String {
        var s = "<nav class=\"index\"><h2>Contents</h2>\n<ol>\n"
        for (i, r) in runs.enumerated() {
            let v = verdict(r)
            s += "<li><a href=\"#run-\(i + 1)\">scenario \(HTMLText.escape(r.scenario))</a> <span class=\"badge \(v.cls)\">\(v.text)</span> "
            s += "<span class=\"meta\">\(plural(r.timeline.segments.count, "segment")), \(plural(r.timeline.connections.count, "connection"))</span></li>\n"
        }
        for (i, c) in connections.enumerated() {
            s += "<li><a href=\"#file-\(i + 1)\">\(HTMLText.escape(c.file))</a> <span class=\"meta\">\(plural(c.connections.count, "connection"))</span></li>\n"
        }
        return s + "</ol></nav>\n"
    }

    // MARK: A run

    static func run(_ r: RunRecord, id: String) -> String {
        let t = r.timeline
        let v = verdict(r)
        var s = "<section class=\"run\" id=\"\(id)\">\n"
        let heading = r.metadata.command != nil ? "trace" : "scenario \(r.scenario)"
        s += "<h2>\(HTMLText.escape(heading)) <span class=\"badge \(v.cls)\">\(v.text)</span></h2>\n"
        var meta = [r.metadata.ipv6 ? "IPv6 (::1)" : "IPv4 (127.0.0.1)", "kernel " + r.metadata.kernel,
                    plural(t.sockets.count, "socket"), plural(t.syscalls.count, "call"), plural(t.segments.count, "segment")]
        if !t.datagrams.isEmpty { meta.append(plural(t.datagrams.count, "datagram")) }
        meta.append("#N numbers calls and packets in time order")
        s += "<p class=\"meta\">\(HTMLText.escape(meta.joined(separator: " · ")))</p>\n"
        if !r.metadata.summary.isEmpty { s += "<p class=\"summary\">\(HTMLText.escape(r.metadata.summary))</p>\n" }
        if r.metadata.captureDropped > 0 {
            s += "<p class=\"warning\">The kernel dropped \(r.metadata.captureDropped) packets during the capture: this timeline is incomplete.</p>\n"
        }
        if let status = r.metadata.exitStatus { s += "<p class=\"meta\">exit status \(status)</p>\n" }
        if r.metadata.command != nil {
            // A traced command foretells nothing: there are no expectations to check.
        } else if r.results.isEmpty {
            s += "<h3>Expectations</h3>\n"
            s += "<p class=\"meta\">No expectations: the scenario is not in this synscope's catalogue.</p>\n"
        } else {
            s += "<h3>Expectations</h3>\n"
            s += "<ul class=\"expect\">\n"
            for e in r.results {
                s += e.passed ? "<li class=\"ok\"><span class=\"badge pass\">ok</span> " : "<li class=\"diff\"><span class=\"badge diff\">DIFF</span> "
                s += HTMLText.escape(e.expectation)
                if !e.passed { s += "<div class=\"observed\">observed: \(HTMLText.escape(e.observed))</div>" }
                s += "</li>\n"
            }
            s += "</ul>\n<p class=\"verdict \(v.cls)\">\(v.text) \(HTMLText.escape(r.scenario))</p>\n"
        }
        if TimelineSummary.applies(t) {
            s += "<h3>Connections</h3>\n" + TimelineSummary.html(t) + "</section>\n"
            return s
        }
        let (diagram, lanes) = HTMLDiagramBuilder.diagram(run: r, id: id + "-diagram")
        s += "<h3>Connections</h3>\n"
        if t.connections.isEmpty {
            s += "<p class=\"meta\">No TCP connections.</p>\n"
        } else {
            s += connectionTable(t.connections, name: { lanes.address[$0] }, link: { _ in nil })
        }
        s += "<h3>Sequence diagram</h3>\n"
        s += "<div class=\"diagram\">\n" + diagram.svg() + "\n</div>\n"
        s += "</section>\n"
        return s
    }

    // MARK: A capture

    static func capture(file: String, connections: [Connection], id: String) -> String {
        var s = "<section class=\"capture\" id=\"\(id)\">\n<h2>capture <code>\(HTMLText.escape(file))</code></h2>\n"
        let segments = connections.reduce(0) { $0 + $1.originatorStats.segments + $1.responderStats.segments }
        s += "<p class=\"meta\">\(plural(connections.count, "TCP connection")) · \(plural(segments, "segment")) · arrows numbered by frame</p>\n"
        if connections.isEmpty {
            s += "<p class=\"meta\">No TCP connections in this capture.</p>\n</section>\n"
            return s
        }
        let drawn = Set(connections.prefix(diagramsPerCapture).map(\.id))
        let link = { (c: Connection) in drawn.contains(c.id) ? "\(id)-c\(c.id)" : nil }
        s += connectionTable(Array(connections.prefix(tableRows)), name: { _ in nil }, link: link)
        if connections.count > tableRows {
            s += "<details class=\"more\"><summary>\(connections.count - tableRows) more connections</summary>\n"
            s += connectionTable(Array(connections.dropFirst(tableRows)), name: { _ in nil }, link: link)
            s += "</details>\n"
        }
        s += "<h3>Connections</h3>\n"
        if connections.count > openConnections {
            s += "<p class=\"meta\">The first \(openConnections) connections are open; click a connection to open it.</p>\n"
        }
        for (i, c) in connections.enumerated() {
            if i == diagramsPerCapture {
                s += "<p class=\"meta\">\(connections.count - diagramsPerCapture) more connections are in the table only; <code>synscope analyze --connection ID</code> shows one.</p>\n"
                break
            }
            let cid = "\(id)-c\(c.id)"
            s += "<details class=\"conn\(isBad(c) ? " bad" : "")\" id=\"\(cid)\"\(i < openConnections ? " open" : "")><summary>"
            s += "<b>#\(c.id)</b> \(HTMLText.escape(c.originator.hostPort)) → \(HTMLText.escape(c.responder.hostPort)) · "
            s += "\(HTMLText.escape(c.handshake.rawValue)) / \(HTMLText.escape(c.teardown.rawValue)) · \(HTMLText.escape(c.connState)) · "
            s += "<code>\(HTMLText.escape(c.history.isEmpty ? "-" : c.history))</code> · \(plural(c.originatorStats.segments + c.responderStats.segments, "segment"))"
            if !c.findingCounts.isEmpty { s += " · <span class=\"findings\">\(HTMLText.escape(findingList(c)))</span>" }
            s += "</summary>\n"
            if c.segments.isEmpty {
                s += "<p class=\"meta\">Segments were not kept for this connection.</p>\n"
            } else {
                s += "<div class=\"diagram\">\n" + HTMLDiagramBuilder.diagram(connection: c, id: cid + "-diagram").svg() + "\n</div>\n"
            }
            s += "</details>\n"
        }
        s += "</section>\n"
        return s
    }

    // MARK: Tables

    static func isBad(_ c: Connection) -> Bool {
        switch c.teardown {
        case .resetByOriginator, .resetByResponder, .abortAfterFIN: return true
        default: return c.handshake == .refused || c.handshake == .unanswered
        }
    }

    static func findingList(_ c: Connection) -> String {
        c.findingCounts.sorted { $0.key < $1.key }.map { "\($0.key.name) ×\($0.value)" }.joined(separator: ", ")
    }

    /// One row per connection. Written into a `ByteSink`: a capture's table
    /// can have thousands of rows, and String interpolation per cell was a
    /// tenth of `report`.
    static func connectionTable(_ connections: [Connection], name: (SocketAddress) -> String?, link: (Connection) -> String?) -> String {
        var s = ByteSink(capacity: 512 + 400 * connections.count)
        s.append("<div class=\"tablewrap\"><table class=\"conns\">\n<thead><tr><th>#</th><th>originator</th><th>responder</th><th>handshake</th><th>teardown</th>")
        s.append("<th>conn_state</th><th>history</th><th>segments o/r</th><th>bytes o/r</th><th>duration ms</th><th>findings</th></tr></thead>\n<tbody>\n")
        for c in connections {
            s.append(isBad(c) ? "<tr class=\"bad\"><td>" : "<tr><td>")
            if let l = link(c) {
                s.append("<a href=\"#")
                s.append(html: l)
                s.append("\">")
                s.append(decimal: c.id)
                s.append("</a>")
            } else {
                s.append(decimal: c.id)
            }
            s.append("</td><td>")
            side(c.originator, name: name, into: &s)
            if c.originatorIsGuess { s.append(" <i>(guessed)</i>") }
            s.append("</td><td>")
            side(c.responder, name: name, into: &s)
            s.append("</td><td class=\"hs-")
            s.append(c.handshake.rawValue)
            s.append("\">")
            s.append(html: c.handshake.rawValue)
            s.append("</td><td class=\"td-")
            s.append(c.teardown.rawValue)
            s.append("\">")
            s.append(html: c.teardown.rawValue)
            s.append("</td><td>")
            s.append(html: c.connState)
            s.append("</td><td><code>")
            s.append(html: c.history.isEmpty ? "-" : c.history)
            s.append("</code></td><td class=\"num\">")
            s.append(decimal: c.originatorStats.segments)
            s.append("/")
            s.append(decimal: c.responderStats.segments)
            s.append("</td><td class=\"num\">")
            s.append(decimal: c.originatorStats.payloadBytes)
            s.append("/")
            s.append(decimal: c.responderStats.payloadBytes)
            s.append("</td><td class=\"num\">")
            s.append(Timestamp.milliseconds(c.duration))
            if c.findingCounts.isEmpty {
                s.append("</td><td></td></tr>\n")
            } else {
                s.append("</td><td class=\"findings\">")
                s.append(html: findingList(c))
                s.append("</td></tr>\n")
            }
        }
        s.append("</tbody></table></div>\n")
        return s.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// An end of a connection: its name in bold when it has one, and its address.
    private static func side(_ a: SocketAddress, name: (SocketAddress) -> String?, into s: inout ByteSink) {
        if let n = name(a) {
            s.append("<b>")
            s.append(html: n)
            s.append("</b> ")
        }
        s.append(html: a.hostPort)
    }
}
