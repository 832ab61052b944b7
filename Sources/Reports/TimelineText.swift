import Analysis
import PacketWire
import TraceModel

/// The terminal timeline of a run: one line per syscall on its socket's
/// lane, one per segment as an arrow between lanes, each segment followed by
/// its cause and explanation, and each endpoint's state after it.
public enum TimelineText {
    /// Renders the ladder `width` columns wide; `color` adds ANSI colours;
    /// without `full`, runs of plain data segments are collapsed into one line.
    public static func render(_ t: Timeline, width: Int = 100, color: Bool = false, full: Bool = false) -> String {
        if !full && TimelineSummary.applies(t) {
            return TimelineSummary.text(t) + (CauseLabel.summary(t).map { "\n" + $0 + "\n" } ?? "")
        }
        let fold = LaneFold.fold(t.sockets)
        let lanes = t.sockets.isEmpty ? ["-"] : LaneFold.lanes(t.sockets, fold)
        var ladder = Ladder(lanes: lanes, width: width, color: color)
        ladder.header()
        let start = t.entries.first?.time ?? Timestamp(nanoseconds: 0)
        func column(_ name: String?) -> Int? { name.flatMap { lanes.firstIndex(of: fold[$0] ?? $0) } }
        let receivers = Receivers(t)
        var lastStates: [Int: ConnectionStates] = [:]
        // The kernel's own state changes (inet_sock_set_state), shown after the entry they follow.
        let changes = t.stateChanges
        var nextChange = 0
        var lastQueues: String?
        func kernelChanges(before end: Timestamp?) -> String? {
            var parts: [(String, [String])] = []
            while nextChange < changes.count, end.map({ changes[nextChange].time < $0 }) ?? true {
                let c = changes[nextChange]
                let who = c.socket ?? c.local.map(\.hostPort) ?? "?"
                if let last = parts.last, last.0 == who, last.1.last == c.from { parts[parts.count - 1].1.append(c.to) } else { parts.append((who, [c.from, c.to])) }
                nextChange += 1
            }
            return parts.isEmpty ? nil : parts.map { "\($0.0) \($0.1.joined(separator: " → "))" }.joined(separator: ", ")
        }
        while nextChange < changes.count, let first = t.entries.first, changes[nextChange].time < first.time { nextChange += 1 }
        var i = 0
        while i < t.entries.count {
            defer {
                if !changes.isEmpty, let line = kernelChanges(before: i < t.entries.count ? t.entries[i].time : nil) {
                    ladder.note("kernel: " + line, .state)
                }
            }
            let entry = t.entries[i]
            let ms = Timestamp.milliseconds(entry.time.nanoseconds - start.nanoseconds)
            switch entry {
            case .syscall(let c):
                // A traced program's call made by a process other than the socket's creator names it.
                let by = c.event.process.flatMap { c.event.socket.hasPrefix("\($0) ") ? nil : "[\($0)] " }
                var text = "#\(c.index) " + (c.event.thread.map { "[\($0)] " } ?? by ?? "") + c.event.strace
                if c.event.error != nil { text = ladder.paint(text, .error) }
                if let r = c.returnedAfter { text += ladder.paint("   (returned after #\(r))", .dim) }
                ladder.onLane(ms, lane: column(c.event.socket), text)
                // With the kernel's state changes shown, a listener's queues only when they changed.
                if let states = kernelStates(c.event, changesShown: !changes.isEmpty), changes.isEmpty || states != lastQueues {
                    ladder.note("kernel: " + states, .dim)
                    lastQueues = states
                }
                if let counters = CauseLabel.counters(c.event.counters) { ladder.note(counters, .dim) }
            case .datagram(let d):
                let to = t.syscalls.first { $0.event.call == .bind && $0.event.argument("addr") == .address(d.destination) }.flatMap { column($0.event.socket) }
                var label = d.token
                if d.proto == .udp { label += " len \(d.payloadLength)" }
                if column(d.sender) == nil { label += " from \(d.proto == .udp ? d.source.hostPort : d.source.address.description)" }
                ladder.arrow(ms, from: column(d.sender), to: to, label: label, flags: d.proto == .udp ? [] : .rst, dashed: true)
                ladder.note("#\(d.index) " + CauseLabel.datagram(d) + ": " + d.explanation, .dim)
            case .segment(let s):
                if !full, lastStates[s.annotated.connection] == s.annotated.states,
                   let run = collapsible(t.entries, from: i), run.count >= Ladder.collapseRun {
                    let bytes = run.reduce(0) { $0 + $1.segment.payloadLength }
                    ladder.onLane(ms, lane: nil, ladder.paint("⋮ #\(run.first!.index)–#\(run.last!.index): \(run.count) data and ACK segments, \(bytes) bytes (--full shows them)", .dim))
                    lastStates[s.annotated.connection] = run.last!.annotated.states
                    i += run.count
                    continue
                }
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
            i += 1
        }
        if let summary = CauseLabel.summary(t) { ladder.out += "\n" + summary + "\n" }
        return ladder.out
    }

    /// The run of plain segments starting at `i`: data or pure ACKs of one
    /// connection, no SYN/FIN/RST, no findings, no state change, no call in between.
    static func collapsible(_ entries: [TimelineEntry], from i: Int) -> [TimelineSegment]? {
        guard case .segment(let first) = entries[i] else { return nil }
        var run: [TimelineSegment] = []
        var j = i
        while j < entries.count, case .segment(let s) = entries[j], s.annotated.connection == first.annotated.connection,
              s.segment.flags.isSubset(of: [.ack, .psh]), s.annotated.findings.isEmpty, s.annotated.states == first.annotated.states {
            run.append(s)
            j += 1
        }
        return run
    }

    /// The kernel's table after a call. When the run has the kernel's state
    /// changes, those are shown instead, and the table only adds the listeners' queues.
    static func kernelStates(_ e: SyscallEvent, changesShown: Bool = false) -> String? {
        let interesting = e.snapshot.filter { changesShown ? $0.state == .listen : $0.state != .closed || (e.call == .close && $0.socket == e.socket) }
        guard !interesting.isEmpty else { return nil }
        return interesting.map { s in
            var text = "\(s.socket) \(s.state)"
            if s.state == .listen { text += " (accept queue \(s.receiveQueue), SYN queue \(s.synQueue ?? 0))" }
            return text
        }.joined(separator: ", ")
    }
}
