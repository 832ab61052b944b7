/// Lays an `HTMLDiagram` out as inline SVG.
extension HTMLDiagram {
    /// The diagram as `<svg>` elements, one per part, stacked.
    func svg() -> String { parts().joined(separator: "\n") }

    /// The `<svg>` of each part. Written into `ByteSink`s: a report draws
    /// up to 200 diagrams, and String interpolation per element was a fifth
    /// of `report`.
    func parts() -> [String] {
        let laneCount = max(lanes.count, 1)
        let notesX = contentRight() + 24
        let noteWidth = min(Self.maxNoteWidth, max(Self.minNoteWidth, Self.targetWidth - notesX - 12))
        let noteChars = Int(noteWidth / Self.noteAdvance)
        let width = notesX + noteWidth + 12

        var parts: [String] = []
        var body = ByteSink(capacity: 8192)   // rows
        var bands = ByteSink(capacity: 1024)  // state bands, drawn below the rows
        var pills = ByteSink(capacity: 1024)  // state labels, drawn above the bands
        var first = true
        var y = Self.headerHeight + 8
        var current = [String?](repeating: nil, count: laneCount)
        var bandStart = [Double](repeating: 0, count: laneCount)

        func closeBand(_ lane: Int, at end: Double) {
            guard let state = current[lane], state != "CLOSED", state != "UNKNOWN", end > bandStart[lane] else { return }
            let c = Self.stateColor(state)
            bands.append("<rect class=\"band\" x=\""); bands.append(coordinate: laneX(lane) - 5)
            bands.append("\" y=\""); bands.append(coordinate: bandStart[lane])
            bands.append("\" width=\"10\" height=\""); bands.append(coordinate: end - bandStart[lane])
            bands.append("\" fill=\""); bands.append(c.stroke)
            bands.append("\"><title>"); bands.append(html: lanes[lane].name); bands.append(" "); bands.append(html: state)
            bands.append("</title></rect>\n")
        }
        func pill(_ lane: Int, _ state: String, at py: Double, continued: Bool) {
            let c = Self.stateColor(state)
            let w = Self.monoWidth(state) * 0.92 + 12
            pills.append(continued ? "<g class=\"state cont\"><rect x=\"" : "<g class=\"state\"><rect x=\"")
            pills.append(coordinate: laneX(lane) - w / 2)
            pills.append("\" y=\""); pills.append(coordinate: py)
            pills.append("\" width=\""); pills.append(coordinate: w)
            pills.append("\" height=\"16\" rx=\"8\" fill=\""); pills.append(c.fill)
            pills.append("\" stroke=\""); pills.append(c.stroke); pills.append("\"/>")
            pills.append("<text x=\""); pills.append(coordinate: laneX(lane))
            pills.append("\" y=\""); pills.append(coordinate: py + 12)
            pills.append("\" text-anchor=\"middle\" fill=\""); pills.append(c.stroke); pills.append("\">")
            pills.append(html: state); pills.append("</text></g>\n")
        }
        /// Closes the current part: its lanes, bands and rows in one `<svg>`.
        func finishPart(last: Bool) {
            let bottom = y + 8
            for lane in 0..<laneCount { closeBand(lane, at: bottom + (last ? 0 : 4)) }
            let headerHeight = first ? Self.headerHeight : Self.compactHeaderHeight
            let height = bottom + (last ? 4 : 4)
            let part = parts.count + 1
            var s = ByteSink(capacity: body.count + bands.count + pills.count + 2048)
            s.append(first ? "<svg class=\"seqdiag" : "<svg class=\"seqdiag cont")
            s.append(last ? " last\" id=\"" : "\" id=\"")
            s.append(html: id)
            if part != 1 { s.append("-part"); s.append(decimal: part) }
            s.append("\" role=\"img\" width=\""); s.append(coordinate: width)
            s.append("\" height=\""); s.append(coordinate: height)
            s.append("\" viewBox=\"0 0 "); s.append(coordinate: width); s.append(" "); s.append(coordinate: height); s.append("\">\n")
            for (i, lane) in lanes.enumerated() {
                let x = laneX(i)
                s.append(lane.phantom ? "<line class=\"lane phantom\" x1=\"" : "<line class=\"lane\" x1=\"")
                s.append(coordinate: x); s.append("\" y1=\""); s.append(coordinate: headerHeight - 4)
                s.append("\" x2=\""); s.append(coordinate: x); s.append("\" y2=\""); s.append(coordinate: bottom + (last ? 0 : 4))
                s.append("\"/>\n")
                if first { laneHeader(lane, x: x, y: 6, into: &s) } else { compactLaneHeader(lane, x: x, y: 4, into: &s) }
            }
            if first {
                s.openText("<text class=\"ms head\" x=\"", x: Self.gutter - 8, y: Self.headerHeight - 12, anchor: "end")
                s.append("ms</text>")
                s.openText("<text class=\"aside head\" x=\"", x: notesX, y: Self.headerHeight - 12)
                s.append("explanation</text>\n")
            }
            bands.withUnsafeBytes { s.append($0) }
            body.withUnsafeBytes { s.append($0) }
            pills.withUnsafeBytes { s.append($0) }
            s.append("</svg>")
            parts.append(s.withUnsafeBytes { String(decoding: $0, as: UTF8.self) })
            body.removeAll(); bands.removeAll(); pills.removeAll()
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
            let noteLines = TextWrap.lines(row.note, width: noteChars, breakingLongWords: true)
            let asideLines = row.aside.isEmpty ? [] : TextWrap.lines(row.aside, width: noteChars + 6, breakingLongWords: true)
            switch row.item {
            case .call(let lane, let index, let text, let error):
                height = 26
                let label = "#\(index) " + text
                let place = callPlacement(lane: lane, text: label)
                let x = laneX(lane)
                let w = Self.monoWidth(label) + 6
                let bgX = place.anchorEnd ? place.x - w + 3 : place.x - 3
                body.append(error ? "<g class=\"call err\" data-index=\"" : "<g class=\"call\" data-index=\"")
                body.append(decimal: index); body.append("\" tabindex=\"0\"><title>"); body.append(html: row.title); body.append("</title>")
                body.halo(x: bgX, y: top + 4, width: w, height: 17)
                body.append("<rect class=\"tick\" x=\""); body.append(coordinate: x - 7)
                body.append("\" y=\""); body.append(coordinate: top + 6); body.append("\" width=\"14\" height=\"14\" rx=\"3\"/>")
                body.text("<text class=\"lbl\" x=\"", x: place.x, y: top + 17, anchor: place.anchorEnd ? "end" : nil, label)
                body.append("</g>\n")
            case .arrow(let a):
                body.append(a.segment ? "<g class=\"seg\" data-index=\"" : "<g class=\"dgram\" data-index=\"")
                body.append(decimal: a.index); body.append("\" data-kind=\""); body.append(a.kind); body.append("\"")
                if let alert = a.alert { body.append(" data-alert=\""); body.append(alert.rawValue); body.append("\"") }
                body.append(" tabindex=\"0\"><title>"); body.append(html: row.title); body.append("</title>")
                let label = "#\(a.index) " + arrowLabel(a)
                let findings = a.findings.isEmpty ? "" : "⚠ " + a.findings.joined(separator: ", ")
                height = findings.isEmpty ? 34 : 46
                if a.from == a.to {
                    // A segment a socket sends to itself: a loop right of its lane.
                    let x = laneX(a.from)
                    let y1 = top + 10, y2 = top + 26
                    body.append("<path class=\"hit\" d=\"M"); body.append(coordinate: x); body.append(" "); body.append(coordinate: y1)
                    body.append(" h40 v16 h-40\"/>")
                    body.append(a.dashed ? "<path class=\"ln dash\" d=\"M" : "<path class=\"ln\" d=\"M")
                    body.append(coordinate: x + 6); body.append(" "); body.append(coordinate: y1); body.append(" h34 v16 h-30\"/>")
                    body.append("<path class=\"hd\" d=\"M"); body.append(coordinate: x + 6); body.append(" "); body.append(coordinate: y2)
                    body.append(" l9 -5 v10 z\"/>")
                    body.halo(x: x + 45, y: top + 10, width: Self.monoWidth(label) + 6, height: 16)
                    body.openText("<text class=\"lbl\" x=\"", x: x + 48, y: top + 22)
                    labelSpans(a, into: &body); body.append("</text>")
                    if !findings.isEmpty {
                        body.text("<text class=\"finding\" x=\"", x: x + 48, y: top + 40, findings)
                    }
                } else {
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
                    let w = Self.monoWidth(label) + 8
                    body.halo(x: mid - w / 2, y: top + 5, width: w, height: 15)
                    body.openText("<text class=\"lbl\" x=\"", x: mid, y: top + 16, anchor: "middle")
                    labelSpans(a, into: &body); body.append("</text>")
                    if !findings.isEmpty {
                        let fw = Self.monoWidth(findings) + 8
                        body.halo(x: mid - fw / 2, y: top + 30, width: fw, height: 14)
                        body.text("<text class=\"finding\" x=\"", x: mid, y: top + 41, anchor: "middle", findings)
                    }
                }
                body.append("</g>\n")
            case .gap(let text):
                height = 36
                body.append("<g class=\"gap\"><rect x=\""); body.append(coordinate: Self.gutter - 8)
                body.append("\" y=\""); body.append(coordinate: top + 6)
                body.append("\" width=\""); body.append(coordinate: notesX + noteWidth - Self.gutter)
                body.append("\" height=\"24\" rx=\"4\"/>")
                body.text("<text x=\"", x: Self.gutter, y: top + 22, text)
                body.append("</g>\n")
            }
            // Time and notes.
            if !row.time.isEmpty {
                body.text("<text class=\"ms\" x=\"", x: Self.gutter - 8, y: top + 17, anchor: "end", row.time)
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

    func laneHeader(_ lane: Lane, x: Double, y: Double, into s: inout ByteSink) {
        let w = laneSpacing - 24
        laneBox(lane, compact: false, x: x, y: y, width: w, into: &s)
        s.text("<text class=\"name\" x=\"", x: x, y: y + 17, anchor: "middle",
               HTMLText.clip(lane.name, Int((w - 8) / (lane.phantom ? Self.monoAdvance : 8))))
        s.text("<text class=\"addr\" x=\"", x: x, y: y + 32, anchor: "middle", HTMLText.clip(lane.detail, Int((w - 8) / Self.monoAdvance)))
        s.append("</g>\n")
    }

    /// The lane's name only, at the top of a continued part.
    func compactLaneHeader(_ lane: Lane, x: Double, y: Double, into s: inout ByteSink) {
        let w = laneSpacing - 60
        laneBox(lane, compact: true, x: x, y: y, width: w, into: &s)
        s.text("<text class=\"cname\" x=\"", x: x, y: y + 14, anchor: "middle", HTMLText.clip(lane.name, Int((w - 8) / 7)))
        s.append("</g>\n")
    }

    /// A lane header's group, tooltip and box; the caller adds the text and closes the group.
    private func laneBox(_ lane: Lane, compact: Bool, x: Double, y: Double, width w: Double, into s: inout ByteSink) {
        switch (compact, lane.phantom) {
        case (false, false): s.append("<g class=\"lanehead\"><title>")
        case (false, true): s.append("<g class=\"lanehead phantom\"><title>")
        case (true, false): s.append("<g class=\"lanehead compact\"><title>")
        case (true, true): s.append("<g class=\"lanehead compact phantom\"><title>")
        }
        s.append(html: lane.name + (lane.detail.isEmpty ? "" : " " + lane.detail)); s.append("</title>")
        s.append("<rect x=\""); s.append(coordinate: x - w / 2); s.append("\" y=\""); s.append(coordinate: y)
        s.append("\" width=\""); s.append(coordinate: w)
        s.append(compact ? "\" height=\"20\" rx=\"5\"/>" : "\" height=\"40\" rx=\"6\"/>")
    }

    func labelSpans(_ a: Arrow, into s: inout ByteSink) {
        s.append("<tspan class=\"idx\">#"); s.append(decimal: a.index)
        s.append("</tspan> <tspan class=\"flags\">"); s.append(html: a.flags); s.append("</tspan> ")
        s.append(html: a.label)
    }
}

extension ByteSink {
    /// `<rect class="halo" …/>`: the backdrop that keeps a label readable over lines.
    fileprivate mutating func halo(x: Double, y: Double, width: Double, height: Int) {
        append("<rect class=\"halo\" x=\""); append(coordinate: x)
        append("\" y=\""); append(coordinate: y)
        append("\" width=\""); append(coordinate: width)
        append("\" height=\""); append(decimal: height); append("\" rx=\"3\"/>")
    }

    /// A `<text>` start tag: `open` is everything up to the x value
    /// (`<text class="note" x="`); the caller writes the content and `</text>`.
    fileprivate mutating func openText(_ open: StaticString, x: Double, y: Double, anchor: StaticString? = nil) {
        append(open); append(coordinate: x)
        append("\" y=\""); append(coordinate: y)
        if let anchor {
            append("\" text-anchor=\""); append(anchor)
        }
        append("\">")
    }

    /// A whole `<text>` element holding `content`, escaped.
    fileprivate mutating func text(_ open: StaticString, x: Double, y: Double, anchor: StaticString? = nil, _ content: String) {
        openText(open, x: x, y: y, anchor: anchor)
        append(html: content)
        append("</text>")
    }

    /// An SVG coordinate: rounded to tenths, with the decimal only when it is not 0.
    mutating func append(coordinate v: Double) {
        let tenths = Int((v * 10).rounded())
        if tenths < 0 { append("-") }
        let m = tenths.magnitude
        append(unsigned: UInt64(m / 10))
        if m % 10 != 0 {
            append(".")
            append(byte: UInt8(ascii: "0") + UInt8(m % 10))
        }
    }
}
