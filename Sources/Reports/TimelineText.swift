import Analysis
import PacketWire
import TraceModel

/// The terminal timeline of a run: one line per syscall on its socket's
/// lane, one per segment as an arrow between lanes, each segment followed by
/// its cause and explanation, and each endpoint's state after it.
public enum TimelineText {
    public static func render(_ t: Timeline, width: Int = 100) -> String {
        var out = ""
        let start = t.entries.first?.time ?? Timestamp(nanoseconds: 0)
        let lanes = t.sockets.isEmpty ? ["-"] : t.sockets
        let laneWidth = max(12, min(22, (width - 12) / max(lanes.count, 1)))
        func column(_ name: String?) -> Int? { name.flatMap { lanes.firstIndex(of: $0) } }
        out += "        ms  " + lanes.map { ConnectionText.pad($0, laneWidth) }.joined() + "\n"
        for entry in t.entries {
            let ms = Timestamp.milliseconds(entry.time.nanoseconds - start.nanoseconds)
            let stamp = String(repeating: " ", count: max(0, 10 - ms.count)) + ms + "  "
            switch entry {
            case .syscall(let c):
                let col = column(c.event.socket) ?? 0
                var text = "#\(c.index) " + c.event.strace
                if let r = c.returnedAfter { text += "   (returned after #\(r))" }
                out += stamp + String(repeating: " ", count: col * laneWidth) + text + "\n"
                if let states = kernelStates(c.event) { out += String(repeating: " ", count: 12 + col * laneWidth) + "  kernel: " + states + "\n" }
            case .datagram(let d):
                let from = column(d.sender)
                let to = t.syscalls.first { $0.event.call == "bind" && $0.event.argument("addr") == .address(d.destination) }.flatMap { column($0.event.socket) }
                var label = d.token
                if d.proto == "udp" { label += " len \(d.payloadLength)" }
                out += stamp + datagramArrow(label, from: from, to: to, laneWidth: laneWidth, lanes: lanes.count, d: d) + "\n"
                out += String(repeating: " ", count: 12) + "  #\(d.index) " + cause(d.cause) + ": " + d.explanation + "\n"
            case .segment(let s):
                let from = column(s.sender)
                let to = receiverColumn(s, lanes: lanes, t: t)
                out += stamp + arrow(s, from: from, to: to, laneWidth: laneWidth, lanes: lanes.count) + "\n"
                let pad = String(repeating: " ", count: 12)
                out += pad + "  #\(s.index) " + cause(s.cause) + ": " + s.explanation + "\n"
                let st = s.annotated.states
                var line = pad + "  states: \(s.originatorName) \(st.originator.name), \(s.responderName) \(st.responder.name)"
                if !s.annotated.findings.isEmpty { line += "; " + s.annotated.findings.map(\.name).joined(separator: ", ") }
                out += line + "\n"
            }
        }
        return out
    }

    static func datagramArrow(_ label: String, from: Int?, to: Int?, laneWidth: Int, lanes: Int, d: TimelineDatagram) -> String {
        let src = from ?? (to.map { $0 == 0 ? lanes : 0 } ?? lanes)
        let dst = to ?? (src == 0 ? lanes : 0)
        let left = min(src, dst), right = max(src, dst)
        let span = max((right - left) * laneWidth - 2, label.count + 6)
        let dashes = span - label.count - 2
        let body = String(repeating: "┄", count: dashes / 2) + " " + label + " " + String(repeating: "┄", count: dashes - dashes / 2)
        var text = String(repeating: " ", count: left * laneWidth) + (src < dst ? body + "▷" : "◁" + body)
        if from == nil { text += "   (from \(d.proto == "udp" ? ConnectionWording.endpoint(d.source) : d.source.address.description), the kernel)" }
        if to == nil && d.proto == "udp" { text += "   (to \(ConnectionWording.endpoint(d.destination)), no socket)" }
        return text
    }

    static func cause(_ c: SegmentCause) -> String {
        switch c {
        case .syscall(let e): "caused by #\(e)"
        case .reply(let e): "reply to #\(e)"
        case .timer(let name): "timer (\(name))"
        }
    }

    static func kernelStates(_ e: SyscallEvent) -> String? {
        let interesting = e.snapshot.filter { $0.state != "CLOSED" || e.call == "close" }
        guard !interesting.isEmpty else { return nil }
        return interesting.map { s in
            var text = "\(s.socket) \(s.state)"
            if s.state == "LISTEN" { text += " (accept queue \(s.receiveQueue), SYN queue \(s.synQueue ?? 0))" }
            return text
        }.joined(separator: ", ")
    }

    static func receiverColumn(_ s: TimelineSegment, lanes: [String], t: Timeline) -> Int? {
        let flow = s.segment.flow
        if flow.source == flow.destination { return lanes.firstIndex { $0 == s.sender } }
        // The lane of the segment that goes the other way with a known sender.
        if let back = t.segments.first(where: { $0.segment.flow == flow.reversed && $0.sender != nil }) {
            return lanes.firstIndex { $0 == back.sender }
        }
        return nil
    }

    /// `client ──[S] 0:0 len 0──▶ server`, drawn between lane columns; an
    /// endpoint without a socket is shown by its address at the edge.
    static func arrow(_ s: TimelineSegment, from: Int?, to: Int?, laneWidth: Int, lanes: Int) -> String {
        let seg = s.segment
        var label = "[\(seg.flags.tcpdumpNotation)] seq \(s.annotated.relativeSequence)"
        if let a = s.annotated.relativeAcknowledgment { label += " ack \(a)" }
        label += " len \(seg.payloadLength) win \(seg.window)"
        let src = from ?? (to.map { $0 == 0 ? lanes : 0 } ?? 0)
        let dst = to ?? (src == 0 ? lanes : 0)
        let left = min(src, dst), right = max(src, dst)
        if left == right {  // to itself (self-connect)
            return String(repeating: " ", count: left * laneWidth) + "⟲ " + label
        }
        let span = max((right - left) * laneWidth - 2, label.count + 6)
        let dashes = span - label.count - 2
        let body = String(repeating: "─", count: dashes / 2) + " " + label + " " + String(repeating: "─", count: dashes - dashes / 2)
        let edge: (String, String) = src < dst ? ("", "▶") : ("◀", "")
        var text = String(repeating: " ", count: left * laneWidth) + edge.0 + body + edge.1
        if from == nil { text += "   (from \(ConnectionWording.endpoint(s.segment.flow.source)), no socket)" }
        if to == nil { text += "   (to \(ConnectionWording.endpoint(s.segment.flow.destination)), no socket)" }
        return text
    }
}
