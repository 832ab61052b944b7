import TraceModel

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
        var states: [TCPState?]
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

    static func stateColor(_ state: TCPState) -> (fill: String, stroke: String) {
        switch state {
        case .listen: ("#efe3f6", "#8e44ad")
        case .synSent, .synReceived: ("#fdebd0", "#ca6f1e")
        case .established: ("#d5f5e3", "#1e8449")
        case .finWait1, .finWait2, .closing: ("#d6eaf8", "#2471a3")
        case .closeWait, .lastAck: ("#d0ece7", "#117a65")
        case .timeWait: ("#e5e8e8", "#5d6d7e")
        case .closed, .unknown: ("#ffffff", "#99a3a4")
        }
    }

    /// A diagram taller than this is cut into several SVGs, each starting
    /// with the lane names again: no SVG grows without bound, and each part
    /// fits a printed page.
    static let partHeight = 620.0
    static let compactHeaderHeight = 30.0
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
