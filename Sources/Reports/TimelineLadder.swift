import Analysis
import PacketWire
import TraceModel

/// Draws a run's timeline on a `Ladder`: each call on its socket's lane,
/// each datagram and segment as an arrow with its `#N cause: explanation`
/// note, the states a segment leaves, and the kernel's own state changes.
struct TimelineLadder {
    let t: Timeline
    let full: Bool
    let fold: [String: String]
    let lanes: [String]
    let receivers: Receivers
    let start: Timestamp
    var ladder: Ladder
    /// Each connection's states as last shown.
    var lastStates: [Int: ConnectionStates] = [:]
    var kernelChanges: KernelChanges
    /// A listener's queues as last shown.
    var lastQueues: String?

    init(_ t: Timeline, width: Int, color: Bool, full: Bool) {
        self.t = t
        self.full = full
        fold = LaneFold.fold(t.sockets)
        lanes = t.sockets.isEmpty ? ["-"] : LaneFold.lanes(t.sockets, fold)
        receivers = Receivers(t)
        start = t.entries.first?.time ?? Timestamp(nanoseconds: 0)
        ladder = Ladder(lanes: lanes, width: width, color: color)
        kernelChanges = KernelChanges(t)
    }

    func column(_ name: String?) -> Int? { name.flatMap { lanes.firstIndex(of: fold[$0] ?? $0) } }

    mutating func draw() {
        ladder.header()
        var i = 0
        while i < t.entries.count {
            i = drawEntry(at: i)
            if !kernelChanges.changes.isEmpty, let line = kernelChanges.line(before: i < t.entries.count ? t.entries[i].time : nil) {
                ladder.note("kernel: " + line, .state)
            }
        }
    }

    /// Draws entry `i` (or the run of plain segments it starts); returns the next entry's index.
    mutating func drawEntry(at i: Int) -> Int {
        let entry = t.entries[i]
        let ms = Timestamp.milliseconds(entry.time.nanoseconds - start.nanoseconds)
        switch entry {
        case .syscall(let c): syscall(c, ms)
        case .datagram(let d): datagram(d, ms)
        case .segment(let s):
            if !full, lastStates[s.annotated.connection] == s.annotated.states,
               let run = TimelineText.collapsible(t.entries, from: i), run.count >= Ladder.collapseRun {
                collapsed(run, ms)
                return i + run.count
            }
            segment(s, ms)
        }
        return i + 1
    }

    mutating func syscall(_ c: TimelineSyscall, _ ms: String) {
        // A traced program's call made by a process other than the socket's creator names it.
        let by = c.event.process.flatMap { c.event.socket.hasPrefix("\($0) ") ? nil : "[\($0)] " }
        var text = "#\(c.index) " + (c.event.thread.map { "[\($0)] " } ?? by ?? "") + c.event.strace
        if c.event.error != nil { text = ladder.paint(text, .error) }
        if let r = c.returnedAfter { text += ladder.paint("   (returned after #\(r))", .dim) }
        ladder.onLane(ms, lane: column(c.event.socket), text)
        // With the kernel's state changes shown, a listener's queues only when they changed.
        let changesShown = !kernelChanges.changes.isEmpty
        if let states = TimelineText.kernelStates(c.event, changesShown: changesShown), !changesShown || states != lastQueues {
            ladder.note("kernel: " + states, .dim)
            lastQueues = states
        }
        if let counters = CauseLabel.counters(c.event.counters) { ladder.note(counters, .dim) }
    }

    mutating func datagram(_ d: TimelineDatagram, _ ms: String) {
        let to = t.syscalls.first { $0.event.call == .bind && $0.event.argument("addr") == .address(d.destination) }.flatMap { column($0.event.socket) }
        var label = d.token
        if d.proto == .udp { label += " len \(d.payloadLength)" }
        if column(d.sender) == nil { label += " from \(d.proto == .udp ? d.source.hostPort : d.source.address.description)" }
        ladder.arrow(ms, from: column(d.sender), to: to, label: label, flags: d.proto == .udp ? [] : .rst, dashed: true)
        ladder.note("#\(d.index) " + CauseLabel.datagram(d) + ": " + d.explanation, .dim)
    }

    /// `⋮ #12–#19: 8 data and ACK segments, 4096 bytes (--full shows them)`
    mutating func collapsed(_ run: [TimelineSegment], _ ms: String) {
        let bytes = run.reduce(0) { $0 + $1.segment.payloadLength }
        ladder.onLane(ms, lane: nil, ladder.paint("⋮ #\(run.first!.index)–#\(run.last!.index): \(run.count) data and ACK segments, \(bytes) bytes (--full shows them)", .dim))
        lastStates[run[0].annotated.connection] = run.last!.annotated.states
    }

    mutating func segment(_ s: TimelineSegment, _ ms: String) {
        var label = SegmentLabel(s).text + " win \(s.segment.window)"
        let to = column(receivers.receiver(of: s))
        if column(s.sender) == nil { label += " from \(s.segment.flow.source.hostPort)" }
        if to == nil && s.segment.flow.source != s.segment.flow.destination { label += " to \(s.segment.flow.destination.hostPort)" }
        ladder.arrow(ms, from: column(s.sender), to: to, label: label, flags: s.segment.flags, dashed: s.cause == .timer(.retransmission))
        ladder.note("#\(s.index) " + CauseLabel.segment(s) + ": " + s.explanation, .dim)
        if let f = s.fate { ladder.note("fate: " + CauseWording.fate(f), .finding) }
        let st = s.annotated.states
        if lastStates[s.annotated.connection] != st {
            let both = s.originatorName == s.responderName ? "\(s.originatorName) \(st.originator.name)"
                : "\(s.originatorName) \(st.originator.name), \(s.responderName) \(st.responder.name)"
            ladder.note("states: " + both, .state)
            lastStates[s.annotated.connection] = st
        }
        if !s.annotated.findings.isEmpty {
            ladder.note("findings: " + s.annotated.findings.map(\.name).joined(separator: ", "), .finding)
        }
    }
}

/// The kernel's own state changes (inet_sock_set_state), each shown after the entry it follows.
struct KernelChanges {
    let changes: [StateChange]
    var next = 0

    init(_ t: Timeline) {
        changes = t.stateChanges
        while next < changes.count, let first = t.entries.first, changes[next].time < first.time { next += 1 }
    }

    /// `c1 SYN-SENT → ESTABLISHED, server LISTEN`: the changes before `end` (nil: all left), a socket's in a row joined.
    mutating func line(before end: Timestamp?) -> String? {
        var parts: [(who: String, states: [String])] = []
        while next < changes.count, end.map({ changes[next].time < $0 }) ?? true {
            let c = changes[next]
            let who = c.socket ?? c.local.map(\.hostPort) ?? "?"
            if let last = parts.last, last.who == who, last.states.last == c.from { parts[parts.count - 1].states.append(c.to) } else { parts.append((who, [c.from, c.to])) }
            next += 1
        }
        return parts.isEmpty ? nil : parts.map { "\($0.who) \($0.states.joined(separator: " → "))" }.joined(separator: ", ")
    }
}
