import Analysis
import PacketWire
import TraceModel

/// Builds sequence diagrams: a run's timeline with a lane per socket, or one
/// connection of a plain capture with a lane per endpoint.
enum HTMLDiagramBuilder {
    /// A connection or run with more segments than this draws only the first
    /// `keepFirst` and the last `keepLast` of them.
    static let elideAbove = 200
    static let keepFirst = 100
    static let keepLast = 50
    /// Runs with very many calls or datagrams are cut the same way by entries.
    static let elideEntriesAbove = 400
    static let keepFirstEntries = 200
    static let keepLastEntries = 100

    /// A run's diagram, with a lane per socket, and its lanes (the connection table names addresses by them).
    static func diagram(run: RunRecord, id: String) -> (HTMLDiagram, RunLanes) {
        var rows = HTMLRunRows(run.timeline)
        rows.build(eliding: elided(run.timeline))
        return (HTMLDiagram(id: id, lanes: rows.laneList, rows: rows.rows), rows.lanes)
    }

    /// The entries a big run leaves out: those between its first `keepFirst`
    /// and last `keepLast` segments, or else between its first and last entries.
    static func elided(_ t: Timeline) -> Range<Int>? {
        let segmentPositions = t.entries.indices.filter { if case .segment = t.entries[$0] { true } else { false } }
        if segmentPositions.count > elideAbove {
            return (segmentPositions[keepFirst - 1] + 1)..<segmentPositions[segmentPositions.count - keepLast]
        } else if t.entries.count > elideEntriesAbove {
            return keepFirstEntries..<(t.entries.count - keepLastEntries)
        }
        return nil
    }

    /// A connection of a plain capture, with a lane per endpoint.
    static func diagram(connection c: Connection, id: String) -> HTMLDiagram {
        let selfConnect = c.originator == c.responder
        var lanes = [HTMLDiagram.Lane(name: c.originatorIsGuess ? "originator (guessed)" : "originator", detail: c.originator.hostPort, phantom: false)]
        if !selfConnect { lanes.append(HTMLDiagram.Lane(name: "responder", detail: c.responder.hostPort, phantom: false)) }
        let n = c.segments.count
        let elided: Range<Int>? = n > elideAbove ? keepFirst..<(n - keepLast) : nil
        var rows: [HTMLDiagram.Row] = []
        var gapDone = false
        for (i, a) in c.segments.enumerated() {
            if let elided, elided.contains(i) {
                if !gapDone {
                    let first = c.segments[elided.lowerBound].segment.frame, last = c.segments[elided.upperBound - 1].segment.frame
                    let prior = c.segments[elided.upperBound - 1].states
                    var row = gapRow(elided.count, 0, 0, first: nil, last: 0, states: [], frames: " (frames \(first)–\(last))")
                    row.states = selfConnect ? [prior.originator] : [prior.originator, prior.responder]
                    rows.append(row)
                    gapDone = true
                }
                continue
            }
            let seg = a.segment
            let fromLane = selfConnect ? 0 : (a.direction == .originator ? 0 : 1)
            let toLane = selfConnect ? 0 : 1 - fromLane
            let t = "+" + Timestamp.milliseconds(seg.time.nanoseconds - c.start.nanoseconds) + " ms"
            let dir = a.direction == .originator ? "originator → responder" : "responder → originator"
            let title = segmentTitle(heading: "frame \(seg.frame) (segment \(i + 1) of \(n)): \(SegmentLabel(a).flagText) \(dir)", a: a, time: t,
                                     cause: nil, explanation: nil,
                                     states: "originator \(a.states.originator.name), responder \(a.states.responder.name)")
            var note = "win \(seg.window)"
            let opts = options(seg.options)
            if opts != "none" { note += ", " + opts }
            rows.append(HTMLDiagram.Row(time: Timestamp.milliseconds(seg.time.nanoseconds - c.start.nanoseconds),
                                        item: .arrow(arrow(a, index: seg.frame, from: fromLane, to: toLane)), note: note, aside: "",
                                        title: title, states: selfConnect ? [a.states.originator] : [a.states.originator, a.states.responder]))
        }
        return HTMLDiagram(id: id, lanes: lanes, rows: rows)
    }
}
