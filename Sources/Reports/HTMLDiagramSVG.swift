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
                s.append("<text class=\"ms head\" x=\""); s.append(coordinate: Self.gutter - 8)
                s.append("\" y=\""); s.append(coordinate: Self.headerHeight - 12); s.append("\" text-anchor=\"end\">ms</text>")
                s.append("<text class=\"aside head\" x=\""); s.append(coordinate: notesX)
                s.append("\" y=\""); s.append(coordinate: Self.headerHeight - 12); s.append("\">explanation</text>\n")
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
                body.append(error ? "<g class=\"call err\" data-index=\"" : "<g class=\"call\" data-index=\"")
                body.append(decimal: index); body.append("\" tabindex=\"0\"><title>"); body.append(html: row.title); body.append("</title>")
                body.append("<rect class=\"halo\" x=\""); body.append(coordinate: bgX)
                body.append("\" y=\""); body.append(coordinate: top + 4)
                body.append("\" width=\""); body.append(coordinate: w); body.append("\" height=\"17\" rx=\"3\"/>")
                body.append("<rect class=\"tick\" x=\""); body.append(coordinate: x - 7)
                body.append("\" y=\""); body.append(coordinate: top + 6); body.append("\" width=\"14\" height=\"14\" rx=\"3\"/>")
                body.append("<text class=\"lbl\" x=\""); body.append(coordinate: place.x)
                body.append("\" y=\""); body.append(coordinate: top + 17)
                body.append(place.anchorEnd ? "\" text-anchor=\"end\">" : "\">")
                body.append(html: label); body.append("</text></g>\n")
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
                    body.append("<rect class=\"halo\" x=\""); body.append(coordinate: x + 45)
                    body.append("\" y=\""); body.append(coordinate: top + 10)
                    body.append("\" width=\""); body.append(coordinate: Self.monoWidth(label) + 6); body.append("\" height=\"16\" rx=\"3\"/>")
                    body.append("<text class=\"lbl\" x=\""); body.append(coordinate: x + 48)
                    body.append("\" y=\""); body.append(coordinate: top + 22); body.append("\">")
                    labelSpans(a, into: &body); body.append("</text>")
                    if !findings.isEmpty {
                        body.append("<text class=\"finding\" x=\""); body.append(coordinate: x + 48)
                        body.append("\" y=\""); body.append(coordinate: top + 40); body.append("\">")
                        body.append(html: findings); body.append("</text>")
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
                    body.append("<rect class=\"halo\" x=\""); body.append(coordinate: mid - w / 2)
                    body.append("\" y=\""); body.append(coordinate: top + 5)
                    body.append("\" width=\""); body.append(coordinate: w); body.append("\" height=\"15\" rx=\"3\"/>")
                    body.append("<text class=\"lbl\" x=\""); body.append(coordinate: mid)
                    body.append("\" y=\""); body.append(coordinate: top + 16); body.append("\" text-anchor=\"middle\">")
                    labelSpans(a, into: &body); body.append("</text>")
                    if !findings.isEmpty {
                        let fw = Self.monoWidth(findings) + 8
                        body.append("<rect class=\"halo\" x=\""); body.append(coordinate: mid - fw / 2)
                        body.append("\" y=\""); body.append(coordinate: top + 30)
                        body.append("\" width=\""); body.append(coordinate: fw); body.append("\" height=\"14\" rx=\"3\"/>")
                        body.append("<text class=\"finding\" x=\""); body.append(coordinate: mid)
                        body.append("\" y=\""); body.append(coordinate: top + 41); body.append("\" text-anchor=\"middle\">")
                        body.append(html: findings); body.append("</text>")
                    }
                }
                body.append("</g>\n")
            case .gap(let text):
                height = 36
                body.append("<g class=\"gap\"><rect x=\""); body.append(coordinate: Self.gutter - 8)
                body.append("\" y=\""); body.append(coordinate: top + 6)
                body.append("\" width=\""); body.append(coordinate: notesX + noteWidth - Self.gutter)
                body.append("\" height=\"24\" rx=\"4\"/>")
                body.append("<text x=\""); body.append(coordinate: Self.gutter)
                body.append("\" y=\""); body.append(coordinate: top + 22); body.append("\">")
                body.append(html: text); body.append("</text></g>\n")
            }
            // Time and notes.
            if !row.time.isEmpty {
                body.append("<text class=\"ms\" x=\""); body.append(coordinate: Self.gutter - 8)
                body.append("\" y=\""); body.append(coordinate: top + 17); body.append("\" text-anchor=\"end\">")
                body.append(html: row.time); body.append("</text>")
            }
            var ny = top + 16
            for line in noteLines {
                body.append("<text class=\"note\" x=\""); body.append(coordinate: notesX)
                body.append("\" y=\""); body.append(coordinate: ny); body.append("\">")
                body.append(html: line); body.append("</text>")
                ny += 15
            }
            for line in asideLines {
                body.append("<text class=\"aside\" x=\""); body.append(coordinate: notesX)
                body.append("\" y=\""); body.append(coordinate: ny); body.append("\">")
                body.append(html: line); body.append("</text>")
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
        s.append("<text class=\"name\" x=\""); s.append(coordinate: x); s.append("\" y=\""); s.append(coordinate: y + 17)
        s.append("\" text-anchor=\"middle\">")
        s.append(html: HTMLText.clip(lane.name, Int((w - 8) / (lane.phantom ? Self.monoAdvance : 8)))); s.append("</text>")
        s.append("<text class=\"addr\" x=\""); s.append(coordinate: x); s.append("\" y=\""); s.append(coordinate: y + 32)
        s.append("\" text-anchor=\"middle\">")
        s.append(html: HTMLText.clip(lane.detail, Int((w - 8) / Self.monoAdvance))); s.append("</text></g>\n")
    }

    /// The lane's name only, at the top of a continued part.
    func compactLaneHeader(_ lane: Lane, x: Double, y: Double, into s: inout ByteSink) {
        let w = laneSpacing - 60
        laneBox(lane, compact: true, x: x, y: y, width: w, into: &s)
        s.append("<text class=\"cname\" x=\""); s.append(coordinate: x); s.append("\" y=\""); s.append(coordinate: y + 14)
        s.append("\" text-anchor=\"middle\">")
        s.append(html: HTMLText.clip(lane.name, Int((w - 8) / 7))); s.append("</text></g>\n")
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
