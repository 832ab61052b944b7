import TraceModel

/// Writes a diagram's SVG parts: the rows go into `body`, each lane's state
/// into a band under them and a pill where it starts. Written into
/// `ByteSink`s: a report draws up to 200 diagrams, and String interpolation
/// per element was a fifth of `report`.
struct SVGParts: ~Copyable {
    let diagram: HTMLDiagram
    let laneCount: Int
    /// Where the notes column starts, how wide it is, and how many characters a line of it holds.
    let notesX: Double, noteWidth: Double, noteChars: Int
    let width: Double

    var parts: [String] = []
    var body = ByteSink(capacity: 8192)   // rows
    var bands = ByteSink(capacity: 1024)  // state bands, drawn below the rows
    var pills = ByteSink(capacity: 1024)  // state labels, drawn above the bands
    var first = true
    /// The top of the next row.
    var y = HTMLDiagram.headerHeight + 8
    /// Each lane's state, and where its band started.
    var current: [TCPState?]
    var bandStart: [Double]

    init(_ d: HTMLDiagram) {
        diagram = d
        laneCount = max(d.lanes.count, 1)
        notesX = d.contentRight() + 24
        noteWidth = min(HTMLDiagram.maxNoteWidth, max(HTMLDiagram.minNoteWidth, HTMLDiagram.targetWidth - notesX - 12))
        noteChars = Int(noteWidth / HTMLDiagram.noteAdvance)
        width = notesX + noteWidth + 12
        current = [TCPState?](repeating: nil, count: laneCount)
        bandStart = [Double](repeating: 0, count: laneCount)
    }

    func laneX(_ i: Int) -> Double { diagram.laneX(i) }

    // MARK: States

    /// Ends the band of `lane`'s current state at `end`.
    mutating func closeBand(_ lane: Int, at end: Double) {
        guard let state = current[lane], state != .closed, state != .unknown, end > bandStart[lane] else { return }
        let c = HTMLDiagram.stateColor(state)
        bands.append("<rect class=\"band\" x=\""); bands.append(coordinate: laneX(lane) - 5)
        bands.append("\" y=\""); bands.append(coordinate: bandStart[lane])
        bands.append("\" width=\"10\" height=\""); bands.append(coordinate: end - bandStart[lane])
        bands.append("\" fill=\""); bands.append(c.stroke)
        bands.append("\"><title>"); bands.append(html: diagram.lanes[lane].name); bands.append(" "); bands.append(html: state.name)
        bands.append("</title></rect>\n")
    }

    /// The label of a state where it starts (`continued`: again at the top of a part).
    mutating func pill(_ lane: Int, _ state: TCPState, at py: Double, continued: Bool) {
        let c = HTMLDiagram.stateColor(state)
        let w = HTMLDiagram.monoWidth(state.name) * 0.92 + 12
        pills.append(continued ? "<g class=\"state cont\"><rect x=\"" : "<g class=\"state\"><rect x=\"")
        pills.append(coordinate: laneX(lane) - w / 2)
        pills.append("\" y=\""); pills.append(coordinate: py)
        pills.append("\" width=\""); pills.append(coordinate: w)
        pills.append("\" height=\"16\" rx=\"8\" fill=\""); pills.append(c.fill)
        pills.append("\" stroke=\""); pills.append(c.stroke); pills.append("\"/>")
        pills.append("<text x=\""); pills.append(coordinate: laneX(lane))
        pills.append("\" y=\""); pills.append(coordinate: py + 12)
        pills.append("\" text-anchor=\"middle\" fill=\""); pills.append(c.stroke); pills.append("\">")
        pills.append(html: state.name); pills.append("</text></g>\n")
    }

    /// After a row: close the bands of the lanes whose state changed, label the new ones.
    mutating func changeStates(_ states: [TCPState?]) {
        var changed = false
        for lane in 0..<laneCount {
            let new = lane < states.count ? states[lane] : nil
            guard new != current[lane] else { continue }
            closeBand(lane, at: y + 2)
            current[lane] = new
            bandStart[lane] = y + 2
            if let state = new, state != .unknown {
                changed = true
                pill(lane, state, at: y + 2, continued: false)
            }
        }
        if changed { y += 22 }
    }

    // MARK: Parts

    /// Closes the current part: its lanes, bands and rows in one `<svg>`.
    mutating func finishPart(last: Bool) {
        let bottom = y + 8
        for lane in 0..<laneCount { closeBand(lane, at: bottom + (last ? 0 : 4)) }
        let height = bottom + 4
        var s = ByteSink(capacity: body.count + bands.count + pills.count + 2048)
        svgStart(height: height, last: last, into: &s)
        let headerHeight = first ? HTMLDiagram.headerHeight : HTMLDiagram.compactHeaderHeight
        for (i, lane) in diagram.lanes.enumerated() {
            let x = laneX(i)
            s.append(lane.phantom ? "<line class=\"lane phantom\" x1=\"" : "<line class=\"lane\" x1=\"")
            s.append(coordinate: x); s.append("\" y1=\""); s.append(coordinate: headerHeight - 4)
            s.append("\" x2=\""); s.append(coordinate: x); s.append("\" y2=\""); s.append(coordinate: bottom + (last ? 0 : 4))
            s.append("\"/>\n")
            if first { diagram.laneHeader(lane, x: x, y: 6, into: &s) } else { diagram.compactLaneHeader(lane, x: x, y: 4, into: &s) }
        }
        if first {
            s.openText("<text class=\"ms head\" x=\"", x: HTMLDiagram.gutter - 8, y: HTMLDiagram.headerHeight - 12, anchor: "end")
            s.append("ms</text>")
            s.openText("<text class=\"aside head\" x=\"", x: notesX, y: HTMLDiagram.headerHeight - 12)
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

    /// `<svg class="seqdiag …" id="…" …>`: a part after the first is `cont` and numbered, the last is `last`.
    func svgStart(height: Double, last: Bool, into s: inout ByteSink) {
        let part = parts.count + 1
        s.append(first ? "<svg class=\"seqdiag" : "<svg class=\"seqdiag cont")
        s.append(last ? " last\" id=\"" : "\" id=\"")
        s.append(html: diagram.id)
        if part != 1 { s.append("-part"); s.append(decimal: part) }
        s.append("\" role=\"img\" width=\""); s.append(coordinate: width)
        s.append("\" height=\""); s.append(coordinate: height)
        s.append("\" viewBox=\"0 0 "); s.append(coordinate: width); s.append(" "); s.append(coordinate: height); s.append("\">\n")
    }

    /// Starts the next part: lane names again, and the states that go on.
    mutating func startPart() {
        y = HTMLDiagram.compactHeaderHeight
        var any = false
        for lane in 0..<laneCount {
            guard let state = current[lane], state != .unknown, state != .closed else { continue }
            pill(lane, state, at: y, continued: true)
            any = true
        }
        for lane in 0..<laneCount { bandStart[lane] = HTMLDiagram.compactHeaderHeight - 4 }
        y += any ? 20 : 4
    }
}
