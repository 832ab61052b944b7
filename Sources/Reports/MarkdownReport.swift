import Analysis
import PacketWire
import TraceModel

/// Markdown with tables and a Mermaid `sequenceDiagram` for each scenario
/// or connection; renders on code hosting sites that support Mermaid.
public enum MarkdownReport {
    /// Connections with more segments than this are cut in the diagram (the table still counts them all).
    static let diagramLimit = 60
    /// Connections of a capture that get a diagram; the rest are in the table only.
    static let diagramsPerCapture = 200

    public static func render(runs: [RunRecord], captures: [(file: String, connections: [Connection])], title: String) -> String {
        var s = "# \(title)\n\n"
        if runs.count + captures.count > 1 {
            for r in runs { s += "- [scenario \(r.scenario)](#scenario-\(r.scenario))\n" }
            for c in captures { s += "- [\(c.file)](#\(anchor(c.file)))\n" }
            s += "\n"
        }
        for r in runs { s += run(r) }
        for c in captures { s += capture(c.file, c.connections) }
        return s
    }

    static func anchor(_ text: String) -> String {
        String(text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    static func run(_ r: RunRecord) -> String {
        var s = r.metadata.command != nil ? "## trace\n\n`\(r.metadata.summary)`\n\n" : "## scenario \(r.scenario)\n\n\(r.metadata.summary)\n\n"
        s += "Kernel `\(r.metadata.kernel)`, \(r.metadata.ipv6 ? "::1" : "127.0.0.1"). "
        if let status = r.metadata.exitStatus { s += "Exit status \(status).\n\n" }
        else { s += r.results.isEmpty ? "No expectations checked.\n\n" : (r.passed ? "**PASS**\n\n" : "**DIFF**\n\n") }
        if TimelineSummary.applies(r.timeline) { return s + TimelineSummary.markdown(r.timeline, cell: cell) }
        s += mermaid(r.timeline) + table(r.timeline)
        if !r.results.isEmpty {
            s += "\n| expectation | verdict | observed |\n|---|---|---|\n"
            for e in r.results { s += "| \(cell(e.expectation)) | \(e.passed ? "ok" : "**DIFF**") | \(cell(e.observed)) |\n" }
        }
        return s + "\n"
    }

    /// A run's sequence diagram: a participant per socket (and per address
    /// without one), a note per call, a message per segment and datagram.
    static func mermaid(_ t: Timeline) -> String {
        // Participants are declared first, messages after (Mermaid orders lanes by declaration).
        var declarations = ""
        var messages = ""
        let lanes = t.sockets.filter { !$0.isEmpty }
        var ids: [String: String] = [:]
        for (i, lane) in lanes.enumerated() {
            ids[lane] = "L\(i)"
            declarations += "    participant L\(i) as \(text(lane))\n"
        }
        var extra = 0
        func id(for name: String?, address: SocketAddress) -> String {
            if let name, let id = ids[name] { return id }
            let key = address.hostPort
            if let id = ids[key] { return id }
            extra += 1
            let id = "X\(extra)"
            ids[key] = id
            declarations += "    participant \(id) as \(text(key))\n"
            return id
        }
        let receivers = Receivers(t)
        for entry in t.entries {
            switch entry {
            case .syscall(let c):
                guard let lane = ids[c.event.socket] else { continue }
                let outcome = c.event.error.map { "-1 \($0.name)" } ?? String(c.event.result ?? 0)
                messages += "    Note over \(lane): \(text("#\(c.index) \(c.event.call)() = \(outcome)"))\n"
            case .segment(let g):
                let from = id(for: g.sender, address: g.segment.flow.source)
                let to = id(for: receivers.receiver(of: g), address: g.segment.flow.destination)
                let arrow = g.segment.isRST ? "-x" : (g.cause == .timer(.retransmission) ? "--)" : "->>")
                messages += "    \(from)\(arrow)\(to): \(text("#\(g.index)")) \(text(SegmentLabel(g).text))\n"
            case .datagram(let d):
                let from = id(for: d.sender, address: d.source)
                let to = id(for: nil, address: d.destination)
                messages += "    \(from)--)\(to): \(text("#\(d.index) \(d.token)"))\n"
            }
        }
        return "```mermaid\nsequenceDiagram\n" + declarations + messages + "```\n\n"
    }

    /// A run's entries, one table row each.
    static func table(_ t: Timeline) -> String {
        var s = "| # | ms | what | cause | explanation |\n|---|---|---|---|---|\n"
        let start = t.entries.first?.time.nanoseconds ?? 0
        for entry in t.entries {
            let ms = Timestamp.milliseconds(entry.time.nanoseconds - start)
            switch entry {
            case .syscall(let c):
                s += "| \(c.index) | \(ms) | `\(cell((c.event.thread.map { "[\($0)] " } ?? "") + c.event.strace))` | \(cell(c.event.socket)) | |\n"
            case .segment(let g):
                s += "| \(g.index) | \(ms) | `\(SegmentLabel(g).flagText)` \(cell(g.sender ?? "kernel")) | \(CauseLabel.segment(g)) | \(cell(g.explanation + (g.fate.map { "; " + CauseWording.fate($0) } ?? ""))) |\n"
            case .datagram(let d):
                s += "| \(d.index) | \(ms) | `\(d.token)` \(cell(d.sender ?? "kernel")) | \(CauseLabel.datagram(d)) | \(cell(d.explanation)) |\n"
            }
        }
        return s
    }

    static func capture(_ file: String, _ connections: [Connection]) -> String {
        var s = "## \(file)\n\n"
        s += "| id | originator | responder | handshake | teardown | conn_state | history | findings |\n|---|---|---|---|---|---|---|---|\n"
        for c in connections {
            let findings = c.findingCounts.sorted { $0.key < $1.key }.map { "\($0.key.name) \($0.value)" }.joined(separator: ", ")
            s += "| \(c.id) | \(c.originator.hostPort) | \(c.responder.hostPort) | \(c.handshake.rawValue) | \(c.teardown.rawValue) | \(c.connState) | \(cell(c.history)) | \(cell(findings)) |\n"
        }
        s += "\n"
        for c in connections.prefix(diagramsPerCapture) where !c.segments.isEmpty {
            s += "### connection \(c.id)\n\n```mermaid\nsequenceDiagram\n"
            s += "    participant O as \(text(c.originator.hostPort))\n"
            s += "    participant R as \(text(c.responder.hostPort))\n"
            for a in c.segments.prefix(diagramLimit) {
                let (from, to) = a.direction == .originator ? ("O", "R") : ("R", "O")
                let arrow = a.segment.isRST ? "-x" : (a.findings.contains(.retransmission) ? "--)" : "->>")
                var l = SegmentLabel(a).text
                if !a.findings.isEmpty { l += " (" + a.findings.map(\.name).joined(separator: ", ") + ")" }
                s += "    \(from)\(arrow)\(to): \(text(l))\n"
            }
            if c.segments.count > diagramLimit {
                s += "    Note over O,R: \(c.segments.count - diagramLimit) more segments not drawn\n"
            }
            s += "```\n\n"
        }
        if connections.count > diagramsPerCapture {
            s += "\(connections.count - diagramsPerCapture) more connections are in the table only; `synscope analyze --connection ID` shows one.\n\n"
        }
        return s
    }


    /// Text safe inside a Mermaid message: no ';' (a statement separator) or '#' (entity start).
    static func text(_ s: String) -> String {
        s.replacingAll(";", with: ",").replacingAll("#", with: "#35;")
    }

    static func cell(_ s: String) -> String {
        s.replacingAll("|", with: "\\|").replacingAll("\n", with: " ")
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        guard contains(target) else { return self }
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
