/// Lays an `HTMLDiagram` out as inline SVG.
extension HTMLDiagram {
    /// The diagram as `<svg>` elements, one per part, stacked.
    func svg() -> String { parts().joined(separator: "\n") }

    /// The `<svg>` of each part: a new part starts once one is `partHeight`
    /// tall, unless only a few rows are left.
    func parts() -> [String] {
        var writer = SVGParts(self)
        for (n, row) in rows.enumerated() {
            if n > 0 && writer.y > Self.partHeight && rows.count - n > 3 {
                writer.finishPart(last: false)
                writer.startPart()
            }
            writer.draw(row)
        }
        writer.finishPart(last: true)
        return writer.parts
    }

    /// The lane's name and address, at the top of the first part.
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
    mutating func halo(x: Double, y: Double, width: Double, height: Int) {
        append("<rect class=\"halo\" x=\""); append(coordinate: x)
        append("\" y=\""); append(coordinate: y)
        append("\" width=\""); append(coordinate: width)
        append("\" height=\""); append(decimal: height); append("\" rx=\"3\"/>")
    }

    /// A `<text>` start tag: `open` is everything up to the x value
    /// (`<text class="note" x="`); the caller writes the content and `</text>`.
    mutating func openText(_ open: StaticString, x: Double, y: Double, anchor: StaticString? = nil) {
        append(open); append(coordinate: x)
        append("\" y=\""); append(coordinate: y)
        if let anchor {
            append("\" text-anchor=\""); append(anchor)
        }
        append("\">")
    }

    /// A whole `<text>` element holding `content`, escaped.
    mutating func text(_ open: StaticString, x: Double, y: Double, anchor: StaticString? = nil, _ content: String) {
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
