import Analysis
import PacketWire
import TraceModel

/// Shared wording for connection reports.
enum ConnectionWording {
    /// Milliseconds with three decimals.
    static func milliseconds(_ ns: Int64) -> String { Timestamp.milliseconds(ns) }

    static func findings(_ f: Findings) -> [String] { f.map(\.name) }
}

/// Text blocks for `synscope analyze`: one per connection, with an optional
/// annotated timeline.
public enum ConnectionText {
    public static func summary(_ c: Connection) -> String {
        var s = ByteSink(capacity: 512)
        appendSummary(c, to: &s)
        return s.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// `summary(c)` written straight into `s` (analyze prints one per connection).
    public static func appendSummary(_ c: Connection, to s: inout ByteSink) {
        func hostPort(_ a: SocketAddress) {
            if a.address.isIPv6 { s.append("["); s.append(a.address); s.append("]") } else { s.append(a.address) }
            s.append(":"); s.append(decimal: a.port)
        }
        func side(_ name: StaticString, _ st: DirectionStats) {
            s.append("  "); s.append(name); s.append(" "); s.append(decimal: st.segments)
            s.append(" segments, "); s.append(decimal: st.payloadBytes)
            s.append(" payload bytes, "); s.append(decimal: st.retransmissions); s.append(" retransmissions\n")
        }
        s.append("#"); s.append(decimal: c.id); s.append(" tcp ")
        hostPort(c.originator); s.append(" > "); hostPort(c.responder)
        if c.originatorIsGuess { s.append("  (originator guessed: no handshake seen)") }
        s.append("\n  handshake "); s.append(c.handshake.rawValue)
        s.append(", teardown "); s.append(c.teardown.rawValue)
        s.append(", conn_state "); s.append(c.connState)
        s.append(", history ")
        if c.history.isEmpty { s.append("-") } else { s.append(c.history) }
        s.append("\n")
        side("originator:", c.originatorStats)
        side("responder: ", c.responderStats)
        s.append("  start "); s.append(timestamp: c.start)
        s.append(", duration "); s.append(ConnectionWording.milliseconds(c.duration)); s.append(" ms")
        if let rtt = c.handshakeRTT { s.append(", handshake RTT "); s.append(ConnectionWording.milliseconds(rtt)); s.append(" ms") }
        s.append("\n  frames "); s.append(decimal: c.firstFrame); s.append("-"); s.append(decimal: c.lastFrame)
        s.append(", final states: originator "); s.append(c.finalStates.originator.name)
        s.append(", responder "); s.append(c.finalStates.responder.name); s.append("\n")
        if !c.findingCounts.isEmpty {
            s.append("  findings: ")
            for (i, (f, n)) in c.findingCounts.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { s.append(", ") }
                s.append(f.name); s.append(" "); s.append(decimal: n)
            }
            s.append("\n")
        }
    }

    /// One line per segment: frame, ms since the connection's start,
    /// direction, tcpdump flags, relative seq/ack, length, findings, and
    /// each endpoint's state after it.
    public static func timeline(_ c: Connection) -> String {
        var s = "  frame    ms         dir   flags  seq         ack         len    states after (originator / responder)  findings\n"
        for a in c.segments {
            let seg = a.segment
            let ms = ConnectionWording.milliseconds(seg.time.nanoseconds - c.start.nanoseconds)
            let dir = a.direction == .originator ? "O>R" : "R>O"
            let label = SegmentLabel(a)
            let ack = label.acknowledgment.map(String.init) ?? "-"
            let states = "\(a.states.originator.name) / \(a.states.responder.name)"
            var line = "  " + pad(String(seg.frame), 7) + "  " + pad(ms, 9) + "  " + dir + "   "
            line += pad(label.flagText, 6) + " " + pad(String(label.sequence), 10) + "  "
            line += pad(ack, 10) + "  " + pad(String(label.length), 5) + "  " + pad(states, 38)
            let f = ConnectionWording.findings(a.findings)
            if !f.isEmpty { line += " " + f.joined(separator: ",") }
            s += line.trailingSpacesRemoved + "\n"
        }
        return s
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}

extension String {
    var trailingSpacesRemoved: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}

extension ConnectionText {
    /// The connection as a two-lane ladder (originator, responder).
    public static func ladder(_ c: Connection, width: Int = 100, color: Bool = false, full: Bool = false) -> String {
        guard !c.segments.isEmpty else { return "" }
        var l = Ladder(lanes: [c.originator.hostPort, c.responder.hostPort], width: width, color: color)
        l.header()
        var last: ConnectionStates?
        var i = 0
        while i < c.segments.count {
            let a = c.segments[i]
            let ms = Timestamp.milliseconds(a.segment.time.nanoseconds - c.start.nanoseconds)
            if !full, last == a.states {
                var j = i
                while j < c.segments.count, c.segments[j].segment.flags.isSubset(of: [.ack, .psh]),
                      c.segments[j].findings.isEmpty, c.segments[j].states == a.states { j += 1 }
                if j - i >= Ladder.collapseRun {
                    let bytes = c.segments[i..<j].reduce(0) { $0 + $1.segment.payloadLength }
                    l.onLane(ms, lane: nil, l.paint("⋮ frames \(a.segment.frame)–\(c.segments[j - 1].segment.frame): \(j - i) data and ACK segments, \(bytes) bytes (--full shows them)", .dim))
                    last = c.segments[j - 1].states
                    i = j
                    continue
                }
            }
            let label = SegmentLabel(a).text
            let (from, to) = a.direction == .originator ? (0, 1) : (1, 0)
            l.arrow(ms, from: from, to: c.originator == c.responder ? 0 : to, label: label, flags: a.segment.flags,
                    dashed: a.findings.contains(.retransmission))
            if last != a.states {
                l.note("frame \(a.segment.frame) states: originator \(a.states.originator.name), responder \(a.states.responder.name)", .state)
                last = a.states
            }
            if !a.findings.isEmpty { l.note("findings: " + a.findings.map(\.name).joined(separator: ", "), .finding) }
            i += 1
        }
        return l.out
    }
}
