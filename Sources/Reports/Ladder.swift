import Analysis
import PacketWire
import TraceModel

/// The terminal ladder: a lane per socket (or endpoint), syscalls on their
/// lane, segments as arrows between lanes, each with its cause and
/// explanation, state changes where they happen, ms from the start.
/// Colour (ANSI) only when asked; long runs of plain data segments collapse
/// unless `full`.
struct Ladder {
    let lanes: [String]
    let width: Int
    let color: Bool
    var out = ""

    static let timeColumn = 12
    /// Runs of at least this many plain data/ACK segments collapse into one line.
    static let collapseRun = 6

    init(lanes: [String], width: Int, color: Bool) {
        self.lanes = lanes.isEmpty ? ["-"] : lanes
        self.width = max(width, 60)
        self.color = color
    }

    var laneWidth: Int { max(14, (width - Self.timeColumn) / lanes.count) }

    func center(_ lane: Int) -> Int { Self.timeColumn + lane * laneWidth + laneWidth / 2 }

    enum Paint: String {
        case syn = "32", fin = "34", rst = "31;1", error = "31", finding = "33", dim = "2", bold = "1", state = "36"
    }

    func paint(_ text: String, _ p: Paint) -> String {
        color ? "\u{1B}[\(p.rawValue)m\(text)\u{1B}[0m" : text
    }

    func paint(flags: TCPFlags, _ text: String) -> String {
        if flags.contains(.rst) { return paint(text, .rst) }
        if flags.contains(.syn) { return paint(text, .syn) }
        if flags.contains(.fin) { return paint(text, .fin) }
        return text
    }

    mutating func header() {
        var line = String(repeating: " ", count: Self.timeColumn - 4) + "ms  "
        for (i, lane) in lanes.enumerated() {
            let name = String(lane.prefix(laneWidth - 2))
            let col = center(i) - name.count / 2
            line = pad(line, to: col) + paint(name, .bold)
        }
        out += line.trailingSpacesRemoved + "\n"
    }

    /// `     4.271  ` — the time column.
    func stamp(_ ms: String) -> String {
        String(repeating: " ", count: max(0, Self.timeColumn - 2 - ms.count)) + ms + "  "
    }

    func pad(_ s: String, to column: Int) -> String {
        let visible = visibleCount(s)
        return visible >= column ? s + " " : s + String(repeating: " ", count: column - visible)
    }

    func visibleCount(_ s: String) -> Int {
        // Without colour there are no escape sequences; every scalar is one column here.
        guard color else { return s.unicodeScalars.count }
        var n = 0, escape = false
        for c in s {
            if c == "\u{1B}" { escape = true; continue }
            if escape { if c == "m" { escape = false }; continue }
            n += 1
        }
        return n
    }

    /// A line of text starting at a lane's centre.
    mutating func onLane(_ ms: String, lane: Int?, _ text: String) {
        let start = lane.map { max(center($0) - 1, Self.timeColumn) } ?? Self.timeColumn
        out += pad(stamp(ms), to: start) + text + "\n"
    }

    /// A continuation line (explanation, states) under the time column.
    mutating func note(_ text: String, _ p: Paint? = nil) {
        out += String(repeating: " ", count: Self.timeColumn + 2) + (p.map { paint(text, $0) } ?? text) + "\n"
    }

    /// An arrow from lane `from` to lane `to` (nil: the edge, an address without a socket).
    mutating func arrow(_ ms: String, from: Int?, to: Int?, label: String, flags: TCPFlags, dashed: Bool = false) {
        let a = from.map(center) ?? (to.map { $0 == 0 ? width - 2 : Self.timeColumn } ?? Self.timeColumn)
        let b = to.map(center) ?? (a <= Self.timeColumn ? width - 2 : Self.timeColumn)
        if a == b {
            onLane(ms, lane: from, paint(flags: flags, "⟲ " + label))
            return
        }
        let left = min(a, b), right = max(a, b)
        let span = right - left
        let dash: Character = dashed ? "┄" : "─"
        var body: String
        let text = " \(label) "
        if text.count + 4 <= span {
            let fill = span - text.count - 1
            body = String(repeating: dash, count: fill / 2) + text + String(repeating: dash, count: fill - fill / 2)
        } else {
            body = String(repeating: dash, count: max(span - 1, 1))
        }
        body = a < b ? body + "▶" : "◀" + body
        var line = pad(stamp(ms), to: left) + paint(flags: flags, body)
        if text.count + 4 > span { line += " " + paint(flags: flags, label) }
        out += line.trailingSpacesRemoved + "\n"
    }
}
