/// The SVG of each kind of row: a call's tick and text, an arrow with its
/// label and findings (a loop when a socket sends to itself), a gap, and the
/// time and notes beside them.
extension SVGParts {
    /// Draws `row` at `y`, moves `y` below it, and shows the lanes' states after it.
    mutating func draw(_ row: HTMLDiagram.Row) {
        let top = y
        var height: Double
        switch row.item {
        case .call(let lane, let index, let text, let error):
            height = 26
            drawCall(lane: lane, label: "#\(index) " + text, index: index, error: error, title: row.title, top: top)
        case .arrow(let a):
            height = a.findings.isEmpty ? 34 : 46
            drawArrow(a, title: row.title, top: top)
        case .gap(let text):
            height = 36
            drawGap(text, top: top)
        }
        let notesBottom = drawNotes(row, top: top)
        height = max(height, notesBottom - top - 4)
        y += height
        changeStates(row.states)
    }

    mutating func drawCall(lane: Int, label: String, index: Int, error: Bool, title: String, top: Double) {
        let place = diagram.callPlacement(lane: lane, text: label)
        let x = laneX(lane)
        let w = HTMLDiagram.monoWidth(label) + 6
        let bgX = place.anchorEnd ? place.x - w + 3 : place.x - 3
        body.append(error ? "<g class=\"call err\" data-index=\"" : "<g class=\"call\" data-index=\"")
        body.append(decimal: index); body.append("\" tabindex=\"0\"><title>"); body.append(html: title); body.append("</title>")
        body.halo(x: bgX, y: top + 4, width: w, height: 17)
        body.append("<rect class=\"tick\" x=\""); body.append(coordinate: x - 7)
        body.append("\" y=\""); body.append(coordinate: top + 6); body.append("\" width=\"14\" height=\"14\" rx=\"3\"/>")
        body.text("<text class=\"lbl\" x=\"", x: place.x, y: top + 17, anchor: place.anchorEnd ? "end" : nil, label)
        body.append("</g>\n")
    }

    mutating func drawArrow(_ a: HTMLDiagram.Arrow, title: String, top: Double) {
        body.append(a.segment ? "<g class=\"seg\" data-index=\"" : "<g class=\"dgram\" data-index=\"")
        body.append(decimal: a.index); body.append("\" data-kind=\""); body.append(a.kind); body.append("\"")
        if let alert = a.alert { body.append(" data-alert=\""); body.append(alert.rawValue); body.append("\"") }
        body.append(" tabindex=\"0\"><title>"); body.append(html: title); body.append("</title>")
        let label = "#\(a.index) " + diagram.arrowLabel(a)
        let findings = a.findings.isEmpty ? "" : "⚠ " + a.findings.joined(separator: ", ")
        if a.from == a.to {
            drawLoop(a, label: label, findings: findings, top: top)
        } else {
            drawStraight(a, label: label, findings: findings, top: top)
        }
        body.append("</g>\n")
    }

    /// A segment a socket sends to itself: a loop right of its lane.
    mutating func drawLoop(_ a: HTMLDiagram.Arrow, label: String, findings: String, top: Double) {
        let x = laneX(a.from)
        let y1 = top + 10, y2 = top + 26
        body.append("<path class=\"hit\" d=\"M"); body.append(coordinate: x); body.append(" "); body.append(coordinate: y1)
        body.append(" h40 v16 h-40\"/>")
        body.append(a.dashed ? "<path class=\"ln dash\" d=\"M" : "<path class=\"ln\" d=\"M")
        body.append(coordinate: x + 6); body.append(" "); body.append(coordinate: y1); body.append(" h34 v16 h-30\"/>")
        body.append("<path class=\"hd\" d=\"M"); body.append(coordinate: x + 6); body.append(" "); body.append(coordinate: y2)
        body.append(" l9 -5 v10 z\"/>")
        body.halo(x: x + 45, y: top + 10, width: HTMLDiagram.monoWidth(label) + 6, height: 16)
        body.openText("<text class=\"lbl\" x=\"", x: x + 48, y: top + 22)
        diagram.labelSpans(a, into: &body); body.append("</text>")
        if !findings.isEmpty {
            body.text("<text class=\"finding\" x=\"", x: x + 48, y: top + 40, findings)
        }
    }

    /// An arrow from one lane to another, its label centred above it.
    mutating func drawStraight(_ a: HTMLDiagram.Arrow, label: String, findings: String, top: Double) {
        let x1 = laneX(a.from), x2 = laneX(a.to)
        let dir = x2 > x1 ? 1.0 : -1.0
        let ly = top + 24
        let tip = x2 - dir * 6
        body.append("<line class=\"hit\" x1=\""); body.append(coordinate: x1)
        body.append("\" y1=\""); body.append(coordinate: ly)
        body.append("\" x2=\""); body.append(coordinate: x2)
        body.append("\" y2=\""); body.append(coordinate: ly); body.append("\"/>")
        body.append(a.dashed ? "<line class=\"ln dash\" x1=\"" : "<line class=\"ln\" x1=\"")
        body.append(coordinate: x1 + dir * 6)
        body.append("\" y1=\""); body.append(coordinate: ly)
        body.append("\" x2=\""); body.append(coordinate: tip - dir * 8)
        body.append("\" y2=\""); body.append(coordinate: ly); body.append("\"/>")
        body.append("<path class=\"hd\" d=\"M"); body.append(coordinate: tip); body.append(" "); body.append(coordinate: ly)
        body.append(" l"); body.append(coordinate: -dir * 11); body.append(" -5 v10 z\"/>")
        let mid = (x1 + x2) / 2
        let w = HTMLDiagram.monoWidth(label) + 8
        body.halo(x: mid - w / 2, y: top + 5, width: w, height: 15)
        body.openText("<text class=\"lbl\" x=\"", x: mid, y: top + 16, anchor: "middle")
        diagram.labelSpans(a, into: &body); body.append("</text>")
        if !findings.isEmpty {
            let fw = HTMLDiagram.monoWidth(findings) + 8
            body.halo(x: mid - fw / 2, y: top + 30, width: fw, height: 14)
            body.text("<text class=\"finding\" x=\"", x: mid, y: top + 41, anchor: "middle", findings)
        }
    }

    mutating func drawGap(_ text: String, top: Double) {
        body.append("<g class=\"gap\"><rect x=\""); body.append(coordinate: HTMLDiagram.gutter - 8)
        body.append("\" y=\""); body.append(coordinate: top + 6)
        body.append("\" width=\""); body.append(coordinate: notesX + noteWidth - HTMLDiagram.gutter)
        body.append("\" height=\"24\" rx=\"4\"/>")
        body.text("<text x=\"", x: HTMLDiagram.gutter, y: top + 22, text)
        body.append("</g>\n")
    }

    /// The row's time left of the lanes, its note and aside wrapped in the
    /// notes column; returns the y below the last note line.
    mutating func drawNotes(_ row: HTMLDiagram.Row, top: Double) -> Double {
        let noteLines = TextWrap.lines(row.note, width: noteChars, breakingLongWords: true)
        let asideLines = row.aside.isEmpty ? [] : TextWrap.lines(row.aside, width: noteChars + 6, breakingLongWords: true)
        if !row.time.isEmpty {
            body.text("<text class=\"ms\" x=\"", x: HTMLDiagram.gutter - 8, y: top + 17, anchor: "end", row.time)
        }
        var ny = top + 16
        for line in noteLines {
            body.text("<text class=\"note\" x=\"", x: notesX, y: ny, line)
            ny += 15
        }
        for line in asideLines {
            body.text("<text class=\"aside\" x=\"", x: notesX, y: ny, line)
            ny += 14
        }
        if !noteLines.isEmpty || !asideLines.isEmpty || !row.time.isEmpty { body.append("\n") }
        return ny
    }
}
