import Analysis
import PacketWire
import TraceModel

/// The rows of a run's diagram, in time order: a call on its lane, a segment
/// or datagram as an arrow between lanes, each with every lane's state after
/// it; a big run's left-out middle is one gap row.
struct HTMLRunRows {
    typealias Row = HTMLDiagram.Row
    let timeline: Timeline
    let lanes: HTMLDiagramBuilder.RunLanes
    let laneList: [HTMLDiagram.Lane]
    let ends: HTMLWireEnds
    let snapshots: HTMLSnapshotStates
    let start: Timestamp
    /// Entry index → short description (`#7 [S.]`, `#3 connect() on c1`), for causes.
    let brief: [Int: String]
    /// Each lane's state after the entries so far.
    var states: [TCPState?]
    var rows: [Row] = []
    var skipped = Skipped()

    /// What a big run leaves out since the last drawn entry.
    struct Skipped {
        var segments = 0, calls = 0, datagrams = 0
        /// The first and last left-out segment's index.
        var first: Int?, last = 0

        var isEmpty: Bool { segments + calls + datagrams == 0 }

        mutating func add(segment index: Int) {
            segments += 1
            if first == nil { first = index }
            last = index
        }
    }

    init(_ t: Timeline) {
        timeline = t
        lanes = HTMLDiagramBuilder.lanes(of: t)
        laneList = lanes.diagramLanes
        ends = HTMLWireEnds(t, lanes: lanes)
        snapshots = HTMLSnapshotStates(t, lanes: lanes, ends: ends)
        start = t.entries.first?.time ?? Timestamp(nanoseconds: 0)
        brief = Self.briefs(t)
        states = [TCPState?](repeating: nil, count: lanes.keys.count)
    }

    static func briefs(_ t: Timeline) -> [Int: String] {
        var brief: [Int: String] = [:]
        for e in t.entries {
            switch e {
            case .syscall(let c): brief[c.index] = "#\(c.index) \(c.event.call)() on \(c.event.socket)"
            case .segment(let s): brief[s.index] = "#\(s.index) " + SegmentLabel(s).flagText
            case .datagram(let d): brief[d.index] = "#\(d.index) \(d.token)"
            }
        }
        return brief
    }

    func describe(_ e: Int) -> String { brief[e] ?? "#\(e)" }

    func ms(_ ts: Timestamp) -> String { Timestamp.milliseconds(ts.nanoseconds - start.nanoseconds) }

    /// Every entry's row, except those in `elided`, which one gap row counts.
    mutating func build(eliding elided: Range<Int>?) {
        for (p, e) in timeline.entries.enumerated() {
            let drawn = !(elided?.contains(p) ?? false)
            if drawn, !skipped.isEmpty { gap() }
            var row: Row?
            switch e {
            case .syscall(let c):
                row = callRow(c)
                if !drawn { skipped.calls += 1 }
            case .segment(let s):
                row = segmentRow(s)
                if !drawn { skipped.add(segment: s.index) }
            case .datagram(let d):
                row = datagramRow(d)
                if !drawn { skipped.datagrams += 1 }
            }
            snapshots.apply(after: p, to: &states, lanes: lanes)
            if drawn, var r = row {
                r.states = states
                rows.append(r)
            }
        }
        if !skipped.isEmpty { gap() }
    }

    private mutating func gap() {
        rows.append(HTMLDiagramBuilder.gapRow(skipped.segments, skipped.calls, skipped.datagrams, first: skipped.first, last: skipped.last, states: states))
        skipped = Skipped()
    }

    /// A call on its socket's lane (nil: the socket has no lane).
    func callRow(_ c: TimelineSyscall) -> Row? {
        let ev = c.event
        guard let lane = lanes.index[.socket(ev.socket)] else { return nil }
        var text = "\(ev.call)(\(ev.arguments.map { "\($0.name)=\($0.value)" }.joined(separator: ", "))) = "
        text += ev.error.map { "-1 \($0.name)" } ?? String(ev.result ?? 0)
        var aside: [String] = []
        if let err = ev.error { aside.append("\(err.name): \(err.message)") }
        if let r = c.returnedAfter { aside.append("returned after " + describe(r)) }
        if !c.caused.isEmpty { aside.append("sent " + c.caused.map(describe).joined(separator: ", ")) }
        var title = ["#\(c.index) \(ev.call)() on \(ev.socket)",
                     "call: " + (ev.thread.map { "[\($0)] " } ?? "") + ev.strace,
                     "time: +\(ms(ev.begin)) ms, returned at +\(ms(ev.end)) ms (\(Timestamp.milliseconds(ev.end.nanoseconds - ev.begin.nanoseconds)) ms)"]
        if let err = ev.error { title.append("error: \(err.name) (\(err.message))") }
        if !ev.outputs.isEmpty { title.append("outputs: " + ev.outputs.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")) }
        if let r = c.returnedAfter { title.append("returned after: " + describe(r)) }
        if !c.caused.isEmpty { title.append("sent: " + c.caused.map(describe).joined(separator: ", ")) }
        if !ev.snapshot.isEmpty { title.append("kernel after: " + SnapshotText.text(ev.snapshot, dataQueues: true)) }
        return Row(time: ms(ev.begin), item: .call(lane: lane, index: c.index, text: text, error: ev.error != nil),
                   note: "", aside: aside.joined(separator: " · "), title: title.joined(separator: "\n"), states: [])
    }

    /// A segment's arrow; the lanes at its ends take the states it leaves on the wire.
    mutating func segmentRow(_ s: TimelineSegment) -> Row {
        let seg = s.segment
        let from = s.sender.flatMap { lanes.index[.socket($0)] } ?? ends.lane(seg.flow.source, on: seg.flow) ?? 0
        let to = seg.flow.source == seg.flow.destination ? from : (ends.lane(seg.flow.destination, on: seg.flow) ?? from)
        let originator = s.annotated.direction == .originator ? seg.flow.source : seg.flow.destination
        let responder = s.annotated.direction == .originator ? seg.flow.destination : seg.flow.source
        // UNKNOWN says nothing new: keep what the lane showed.
        if let l = ends.lane(responder, on: seg.flow), s.annotated.states.responder != .unknown { states[l] = s.annotated.states.responder }
        if let l = ends.lane(originator, on: seg.flow), s.annotated.states.originator != .unknown { states[l] = s.annotated.states.originator }
        let cause = CauseLabel.segment(s, describe: describe)
        let title = HTMLDiagramBuilder.segmentTitle(
            heading: "#\(s.index) \(SegmentLabel(s).flagText) \(laneList[from].name) → \(laneList[to].name)", a: s.annotated,
            time: "+\(ms(seg.time)) ms", cause: cause, explanation: s.explanation + (s.fate.map { "; " + CauseWording.fate($0) } ?? ""),
            states: "\(s.originatorName) \(s.annotated.states.originator.name), \(s.responderName) \(s.annotated.states.responder.name)")
        return Row(time: ms(seg.time), item: .arrow(HTMLDiagramBuilder.arrow(s.annotated, index: s.index, from: from, to: to)),
                   note: s.explanation, aside: cause, title: title, states: [])
    }

    /// A UDP datagram, or an ICMP error (red), as a dashed arrow.
    func datagramRow(_ d: TimelineDatagram) -> Row {
        let ends = HTMLDiagramBuilder.datagramEnds(d, lanes)
        let from = lanes.index[ends.from] ?? 0, to = lanes.index[ends.to] ?? 0
        let isError = d.proto != .udp
        var title = ["#\(d.index) \(d.token) \(d.source.hostPort) → \(d.destination.hostPort)",
                     "time: +\(ms(d.time)) ms (frame \(d.frame))",
                     "protocol: \(d.proto)"]
        if !isError { title.append("payload length: \(d.payloadLength)") }
        if let ty = d.icmpType { title.append("ICMP type/code: \(ty)/\(d.icmpCode ?? 0)") }
        if let q = d.quotes { title.append("quotes: udp \(q.source.hostPort) → \(q.destination.hostPort)") }
        title.append("sender: " + (d.sender ?? "the kernel"))
        title.append("cause: " + CauseLabel.datagram(d, describe: describe))
        title.append("explanation: " + d.explanation)
        let a = HTMLDiagram.Arrow(segment: false, index: d.index, from: from, to: to, flags: d.token, label: isError ? "" : "len \(d.payloadLength)",
                                  kind: isError ? "icmp" : "udp", alert: isError ? .error : nil, findings: [], dashed: true)
        return Row(time: ms(d.time), item: .arrow(a), note: d.explanation, aside: CauseLabel.datagram(d, describe: describe),
                   title: title.joined(separator: "\n"), states: [])
    }
}
