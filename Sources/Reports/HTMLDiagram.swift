/// A sequence diagram before layout: lanes left to right, rows top to
/// bottom in time order (not to scale), and each lane's state after each row.
/// `HTMLDiagram.svg()` lays it out as one inline SVG.
struct HTMLDiagram {
    struct Lane {
        var name: String
        /// The address under the name, or why the lane has no socket.
        var detail: String
        /// An endpoint with no socket of the scenario (the kernel answered for it).
        var phantom: Bool
    }

    enum Alert: String {
        case rst, error, finding
    }

    enum Item {
        /// A socket call on its lane.
        case call(lane: Int, index: Int, text: String, error: Bool)
        /// A TCP segment (`segment`) or a UDP/ICMP datagram between lanes.
        case arrow(Arrow)
        /// Entries left out of a large diagram.
        case gap(String)
    }

    struct Arrow {
        var segment: Bool
        var index: Int
        var from: Int
        var to: Int
        /// `[S.]` part, drawn bold.
        var flags: String
        /// `seq 0 ack 1 len 0`.
        var label: String
        /// syn, fin, rst, data, ack, udp, icmp: picks the colour.
        var kind: String
        var alert: Alert?
        var findings: [String]
        var dashed: Bool
    }

    struct Row {
        /// Milliseconds since the start, already formatted.
        var time: String
        var item: Item
        /// The explanation, drawn in the notes column.
        var note: String
        /// A second, quieter note line (cause, return).
        var aside: String
        /// The tooltip and details panel: first line a heading, then `key: value` lines.
        var title: String
        /// Each lane's state after this row (nil: no state known or none to show).
        var states: [String?]
    }

    var id: String
    var lanes: [Lane]
    var rows: [Row]

    // MARK: Layout

    static let gutter = 64.0
    /// Lanes closer together when there are many, so that the notes still fit
    /// the target width (down to a spacing that keeps labels apart).
    var laneSpacing: Double {
        let fit = (Self.targetWidth - Self.gutter - Self.minNoteWidth - 36) / Double(max(lanes.count, 1))
        return max(136, min(220, fit.rounded(.down)))
    }
    /// The width a diagram aims at (a 1280-pixel window, an A4 landscape page)
    /// before it scrolls sideways; the notes column takes what the lanes leave.
    static let targetWidth = 1228.0
    static let headerHeight = 56.0
    /// Average advance of the 11px monospace font, and of the 12px notes font.
    static let monoAdvance = 6.7
    static let noteAdvance = 6.6
    static let minNoteWidth = 280.0
    static let maxNoteWidth = 520.0

    func laneX(_ i: Int) -> Double { Self.gutter + laneSpacing / 2 + Double(i) * laneSpacing }

    /// Width of `text` in the monospace label font.
    static func monoWidth(_ text: String) -> Double { Double(text.count) * monoAdvance }

    /// Where the text of a call starts and whether it is anchored at its end
    /// (on the last lane of several, the text runs left of the lane).
    /// Text runs right of its lane unless it would pass the last lane while
    /// there is room on the left.
    func callPlacement(lane: Int, text: String) -> (x: Double, anchorEnd: Bool, right: Double) {
        let x = laneX(lane)
        let w = Self.monoWidth(text)
        let edge = laneX(max(lanes.count - 1, 0)) + laneSpacing / 2 + 20
        if lanes.count > 1 && x + 10 + w > edge && (x - 10 - w >= Self.gutter - 4 || lane == lanes.count - 1) {
            return (x - 10, true, x + 10)
        }
        return (x + 10, false, x + 10 + w)
    }

    func arrowLabel(_ a: Arrow) -> String { a.label.isEmpty ? a.flags : a.flags + " " + a.label }

    /// The right edge of everything but the notes.
    func contentRight() -> Double {
        var right = laneX(max(lanes.count - 1, 0)) + laneSpacing / 2
        for row in rows {
            switch row.item {
            case .call(let lane, let index, let text, _):
                right = max(right, callPlacement(lane: lane, text: "#\(index) " + text).right)
            case .arrow(let a) where a.from == a.to:
                right = max(right, laneX(a.from) + 48 + Self.monoWidth("#\(a.index) " + arrowLabel(a)))
                if !a.findings.isEmpty {
                    right = max(right, laneX(a.from) + 48 + Self.monoWidth("⚠ " + a.findings.joined(separator: ", ")))
                }
            case .arrow(let a):
                let mid = (laneX(a.from) + laneX(a.to)) / 2
                right = max(right, mid + (Self.monoWidth("#\(a.index) " + arrowLabel(a)) + 8) / 2)
            case .gap(let text):
                right = max(right, Self.gutter + Self.monoWidth(text) + 20)
            }
        }
        return right
    }

    /// Word-wraps `text` to lines of at most `width` characters.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            if word.count > width && line.isEmpty {
                var w = Substring(word)
                while w.count > width {
                    lines.append(String(w.prefix(width)))
                    w = w.dropFirst(width)
                }
                line = String(w)
                continue
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    static func stateColor(_ state: String) -> (fill: String, stroke: String) {
        switch state {
        case "LISTEN": ("#efe3f6", "#8e44ad")
        case "SYN-SENT", "SYN-RECEIVED": ("#fdebd0", "#ca6f1e")
        case "ESTABLISHED": ("#d5f5e3", "#1e8449")
        case "FIN-WAIT-1", "FIN-WAIT-2", "CLOSING": ("#d6eaf8", "#2471a3")
        case "CLOSE-WAIT", "LAST-ACK": ("#d0ece7", "#117a65")
        case "TIME-WAIT": ("#e5e8e8", "#5d6d7e")
        default: ("#ffffff", "#99a3a4")
        }
    }

    /// A diagram taller than this is cut into several SVGs, each starting
    /// with the lane names again: no SVG grows without bound, and each part
    /// fits a printed page.
    static let partHeight = 620.0
    static let compactHeaderHeight = 30.0

    /// The diagram as `<svg>` elements, one per part, stacked.
    func svg() -> String { parts().joined(separator: "\n") }

    func parts() -> [String] {
        let laneCount = max(lanes.count, 1)
        let notesX = contentRight() + 24
        let noteWidth = min(Self.maxNoteWidth, max(Self.minNoteWidth, Self.targetWidth - notesX - 12))
        let noteChars = Int(noteWidth / Self.noteAdvance)
        let width = notesX + noteWidth + 12

        var parts: [String] = []
        var body = ""     // rows
        var bands = ""    // state bands, drawn below the rows
        var pills = ""    // state labels, drawn above the bands
        var first = true
        var y = Self.headerHeight + 8
        var current = [String?](repeating: nil, count: laneCount)
        var bandStart = [Double](repeating: 0, count: laneCount)

        func closeBand(_ lane: Int, at end: Double) {
            guard let state = current[lane], state != "CLOSED", state != "UNKNOWN", end > bandStart[lane] else { return }
            let c = Self.stateColor(state)
            bands += "<rect class=\"band\" x=\"\(fmt(laneX(lane) - 5))\" y=\"\(fmt(bandStart[lane]))\" width=\"10\" height=\"\(fmt(end - bandStart[lane]))\" fill=\"\(c.stroke)\"><title>\(HTMLText.escape(lanes[lane].name)) \(HTMLText.escape(state))</title></rect>\n"
        }
        func pill(_ lane: Int, _ state: String, at py: Double, continued: Bool) {
            let c = Self.stateColor(state)
            let w = Self.monoWidth(state) * 0.92 + 12
            pills += "<g class=\"state\(continued ? " cont" : "")\"><rect x=\"\(fmt(laneX(lane) - w / 2))\" y=\"\(fmt(py))\" width=\"\(fmt(w))\" height=\"16\" rx=\"8\" fill=\"\(c.fill)\" stroke=\"\(c.stroke)\"/>"
            pills += "<text x=\"\(fmt(laneX(lane)))\" y=\"\(fmt(py + 12))\" text-anchor=\"middle\" fill=\"\(c.stroke)\">\(HTMLText.escape(state))</text></g>\n"
        }
        /// Closes the current part: its lanes, bands and rows in one `<svg>`.
        func finishPart(last: Bool) {
            let bottom = y + 8
            for lane in 0..<laneCount { closeBand(lane, at: bottom + (last ? 0 : 4)) }
            let headerHeight = first ? Self.headerHeight : Self.compactHeaderHeight
            var frame = ""
            for (i, lane) in lanes.enumerated() {
                let x = laneX(i)
                frame += "<line class=\"lane\(lane.phantom ? " phantom" : "")\" x1=\"\(fmt(x))\" y1=\"\(fmt(headerHeight - 4))\" x2=\"\(fmt(x))\" y2=\"\(fmt(bottom + (last ? 0 : 4)))\"/>\n"
                frame += first ? laneHeader(lane, x: x, y: 6) : compactLaneHeader(lane, x: x, y: 4)
            }
            if first {
                frame += "<text class=\"ms head\" x=\"\(fmt(Self.gutter - 8))\" y=\"\(fmt(Self.headerHeight - 12))\" text-anchor=\"end\">ms</text>"
                frame += "<text class=\"aside head\" x=\"\(fmt(notesX))\" y=\"\(fmt(Self.headerHeight - 12))\">explanation</text>\n"
            }
            let height = bottom + (last ? 4 : 4)
            let part = parts.count + 1
            var s = "<svg class=\"seqdiag\(first ? "" : " cont")\(last ? " last" : "")\" id=\"\(HTMLText.escape(id))\(part == 1 ? "" : "-part\(part)")\" role=\"img\" "
            s += "width=\"\(fmt(width))\" height=\"\(fmt(height))\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\">\n"
            s += frame + bands + body + pills + "</svg>"
            parts.append(s)
            body = ""; bands = ""; pills = ""
            first = false
        }
        /// Starts the next part: lane names again, and the states that go on.
        func startPart() {
            y = Self.compactHeaderHeight
            var any = false
            for lane in 0..<laneCount {
                guard let state = current[lane], state != "UNKNOWN", state != "CLOSED" else { continue }
                pill(lane, state, at: y, continued: true)
                any = true
            }
            for lane in 0..<laneCount { bandStart[lane] = Self.compactHeaderHeight - 4 }
            y += any ? 20 : 4
        }

        for (rowNumber, row) in rows.enumerated() {
            if rowNumber > 0 && y > Self.partHeight && rows.count - rowNumber > 3 {
                finishPart(last: false)
                startPart()
            }
            let top = y
            var height: Double
            let noteLines = Self.wrap(row.note, width: noteChars)
            let asideLines = row.aside.isEmpty ? [] : Self.wrap(row.aside, width: noteChars + 6)
            switch row.item {
            case .call(let lane, let index, let text, let error):
                height = 26
                let label = "#\(index) " + text
                let place = callPlacement(lane: lane, text: label)
                let x = laneX(lane)
                let w = Self.monoWidth(label) + 6
                let bgX = place.anchorEnd ? place.x - w + 3 : place.x - 3
                body += "<g class=\"call\(error ? " err" : "")\" data-index=\"\(index)\" tabindex=\"0\"><title>\(HTMLText.escape(row.title))</title>"
                body += "<rect class=\"halo\" x=\"\(fmt(bgX))\" y=\"\(fmt(top + 4))\" width=\"\(fmt(w))\" height=\"17\" rx=\"3\"/>"
                body += "<rect class=\"tick\" x=\"\(fmt(x - 7))\" y=\"\(fmt(top + 6))\" width=\"14\" height=\"14\" rx=\"3\"/>"
                body += "<text class=\"lbl\" x=\"\(fmt(place.x))\" y=\"\(fmt(top + 17))\"\(place.anchorEnd ? " text-anchor=\"end\"" : "")>\(HTMLText.escape(label))</text></g>\n"
            case .arrow(let a):
                body += "<g class=\"\(a.segment ? "seg" : "dgram")\" data-index=\"\(a.index)\" data-kind=\"\(a.kind)\""
                if let alert = a.alert { body += " data-alert=\"\(alert.rawValue)\"" }
                body += " tabindex=\"0\"><title>\(HTMLText.escape(row.title))</title>"
                let label = "#\(a.index) " + arrowLabel(a)
                let findings = a.findings.isEmpty ? "" : "⚠ " + a.findings.joined(separator: ", ")
                height = findings.isEmpty ? 34 : 46
                if a.from == a.to {
                    // A segment a socket sends to itself: a loop right of its lane.
                    let x = laneX(a.from)
                    let y1 = top + 10, y2 = top + 26
                    body += "<path class=\"hit\" d=\"M\(fmt(x)) \(fmt(y1)) h40 v16 h-40\"/>"
                    body += "<path class=\"ln\(a.dashed ? " dash" : "")\" d=\"M\(fmt(x + 6)) \(fmt(y1)) h34 v16 h-30\"/>"
                    body += "<path class=\"hd\" d=\"M\(fmt(x + 6)) \(fmt(y2)) l9 -5 v10 z\"/>"
                    body += "<rect class=\"halo\" x=\"\(fmt(x + 45))\" y=\"\(fmt(top + 10))\" width=\"\(fmt(Self.monoWidth(label) + 6))\" height=\"16\" rx=\"3\"/>"
                    body += "<text class=\"lbl\" x=\"\(fmt(x + 48))\" y=\"\(fmt(top + 22))\">\(labelSpans(a, index: a.index))</text>"
                    if !findings.isEmpty {
                        body += "<text class=\"finding\" x=\"\(fmt(x + 48))\" y=\"\(fmt(top + 40))\">\(HTMLText.escape(findings))</text>"
                    }
                } else {
                    let x1 = laneX(a.from), x2 = laneX(a.to)
                    let dir = x2 > x1 ? 1.0 : -1.0
                    let ly = top + 24
                    let tip = x2 - dir * 6
                    body += "<line class=\"hit\" x1=\"\(fmt(x1))\" y1=\"\(fmt(ly))\" x2=\"\(fmt(x2))\" y2=\"\(fmt(ly))\"/>"
                    body += "<line class=\"ln\(a.dashed ? " dash" : "")\" x1=\"\(fmt(x1 + dir * 6))\" y1=\"\(fmt(ly))\" x2=\"\(fmt(tip - dir * 8))\" y2=\"\(fmt(ly))\"/>"
                    body += "<path class=\"hd\" d=\"M\(fmt(tip)) \(fmt(ly)) l\(fmt(-dir * 11)) -5 v10 z\"/>"
                    let mid = (x1 + x2) / 2
                    let w = Self.monoWidth(label) + 8
                    body += "<rect class=\"halo\" x=\"\(fmt(mid - w / 2))\" y=\"\(fmt(top + 5))\" width=\"\(fmt(w))\" height=\"15\" rx=\"3\"/>"
                    body += "<text class=\"lbl\" x=\"\(fmt(mid))\" y=\"\(fmt(top + 16))\" text-anchor=\"middle\">\(labelSpans(a, index: a.index))</text>"
                    if !findings.isEmpty {
                        let fw = Self.monoWidth(findings) + 8
                        body += "<rect class=\"halo\" x=\"\(fmt(mid - fw / 2))\" y=\"\(fmt(top + 30))\" width=\"\(fmt(fw))\" height=\"14\" rx=\"3\"/>"
                        body += "<text class=\"finding\" x=\"\(fmt(mid))\" y=\"\(fmt(top + 41))\" text-anchor=\"middle\">\(HTMLText.escape(findings))</text>"
                    }
                }
                body += "</g>\n"
            case .gap(let text):
                height = 36
                body += "<g class=\"gap\"><rect x=\"\(fmt(Self.gutter - 8))\" y=\"\(fmt(top + 6))\" width=\"\(fmt(notesX + noteWidth - Self.gutter))\" height=\"24\" rx=\"4\"/>"
                body += "<text x=\"\(fmt(Self.gutter))\" y=\"\(fmt(top + 22))\">\(HTMLText.escape(text))</text></g>\n"
            }
            // Time and notes.
            if !row.time.isEmpty {
                body += "<text class=\"ms\" x=\"\(fmt(Self.gutter - 8))\" y=\"\(fmt(top + 17))\" text-anchor=\"end\">\(HTMLText.escape(row.time))</text>"
            }
            var ny = top + 16
            for line in noteLines {
                body += "<text class=\"note\" x=\"\(fmt(notesX))\" y=\"\(fmt(ny))\">\(HTMLText.escape(line))</text>"
                ny += 15
            }
            for line in asideLines {
                body += "<text class=\"aside\" x=\"\(fmt(notesX))\" y=\"\(fmt(ny))\">\(HTMLText.escape(line))</text>"
                ny += 14
            }
            if !noteLines.isEmpty || !asideLines.isEmpty || !row.time.isEmpty { body += "\n" }
            height = max(height, ny - top - 4)
            y += height

            // State changes after the row: close the old band, label the new one.
            var changed = false
            for lane in 0..<laneCount {
                let new = lane < row.states.count ? row.states[lane] : nil
                guard new != current[lane] else { continue }
                closeBand(lane, at: y + 2)
                current[lane] = new
                bandStart[lane] = y + 2
                if let state = new, state != "UNKNOWN" {
                    changed = true
                    pill(lane, state, at: y + 2, continued: false)
                }
            }
            if changed { y += 22 }
        }
        finishPart(last: true)
        return parts
    }

    func laneHeader(_ lane: Lane, x: Double, y: Double) -> String {
        let w = laneSpacing - 24
        var s = "<g class=\"lanehead\(lane.phantom ? " phantom" : "")\"><title>\(HTMLText.escape(lane.name + (lane.detail.isEmpty ? "" : " " + lane.detail)))</title>"
        s += "<rect x=\"\(fmt(x - w / 2))\" y=\"\(fmt(y))\" width=\"\(fmt(w))\" height=\"40\" rx=\"6\"/>"
        s += "<text class=\"name\" x=\"\(fmt(x))\" y=\"\(fmt(y + 17))\" text-anchor=\"middle\">\(HTMLText.escape(HTMLText.clip(lane.name, Int((w - 8) / (lane.phantom ? Self.monoAdvance : 8)))))</text>"
        s += "<text class=\"addr\" x=\"\(fmt(x))\" y=\"\(fmt(y + 32))\" text-anchor=\"middle\">\(HTMLText.escape(HTMLText.clip(lane.detail, Int((w - 8) / Self.monoAdvance))))</text></g>\n"
        return s
    }

    /// The lane's name only, at the top of a continued part.
    func compactLaneHeader(_ lane: Lane, x: Double, y: Double) -> String {
        let w = laneSpacing - 60
        var s = "<g class=\"lanehead compact\(lane.phantom ? " phantom" : "")\"><title>\(HTMLText.escape(lane.name + (lane.detail.isEmpty ? "" : " " + lane.detail)))</title>"
        s += "<rect x=\"\(fmt(x - w / 2))\" y=\"\(fmt(y))\" width=\"\(fmt(w))\" height=\"20\" rx=\"5\"/>"
        s += "<text class=\"cname\" x=\"\(fmt(x))\" y=\"\(fmt(y + 14))\" text-anchor=\"middle\">\(HTMLText.escape(HTMLText.clip(lane.name, Int((w - 8) / 7))))</text></g>\n"
        return s
    }

    func labelSpans(_ a: Arrow, index: Int) -> String {
        "<tspan class=\"idx\">#\(index)</tspan> <tspan class=\"flags\">\(HTMLText.escape(a.flags))</tspan> " + HTMLText.escape(a.label)
    }
}

/// A coordinate with at most one decimal.
func fmt(_ v: Double) -> String {
    let tenths = Int((v * 10).rounded())
    let sign = tenths < 0 ? "-" : ""
    let m = abs(tenths)
    return m % 10 == 0 ? "\(sign)\(m / 10)" : "\(sign)\(m / 10).\(m % 10)"
}

/// Escaping and small text helpers for the HTML report.
enum HTMLText {
    /// Text safe in element content and in double- or single-quoted attributes.
    static func escape(_ s: String) -> String {
        var needs = false
        for u in s.utf8 where u == 0x26 || u == 0x3C || u == 0x3E || u == 0x22 || u == 0x27 { needs = true; break }
        guard needs else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// At most `n` characters, with an ellipsis when cut.
    static func clip(_ s: String, _ n: Int) -> String {
        s.count <= n ? s : String(s.prefix(n - 1)) + "…"
    }
}

extension ByteSink {
    /// `HTMLText.escape(s)`, appended without building the escaped string.
    mutating func append(html s: String) {
        var s = s
        s.withUTF8 { utf8 in
            var plain = 0  // start of the run of bytes that need no escape
            for (i, u) in utf8.enumerated() {
                let entity: StaticString
                switch u {
                case 0x26: entity = "&amp;"
                case 0x3C: entity = "&lt;"
                case 0x3E: entity = "&gt;"
                case 0x22: entity = "&quot;"
                case 0x27: entity = "&#39;"
                default: continue
                }
                append(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[plain..<i]))
                append(entity)
                plain = i + 1
            }
            append(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[plain...]))
        }
    }
}
