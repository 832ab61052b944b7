import Analysis
import TraceModel

/// A timeline with many connections (a traced loop of 1,000 requests) is shown as one
/// table row per connection instead of a ladder nobody can read: who opened it, who
/// accepted it, how it went, and what closed it, each cause as attested or inferred.
public enum TimelineSummary {
    /// A table replaces the ladder when many connections would need more lanes than a terminal
    /// can show: more than 16 connections over more than 12 lanes once numbered sockets are folded
    /// (`LaneFold`: a scenario's `repeat` of 200 sockets is one lane and keeps its ladder), or more
    /// than 32 lanes whatever the connections. `--full` still draws the ladder.
    public static func applies(_ t: Timeline) -> Bool {
        guard t.sockets.count > 12 else { return false }
        let lanes = LaneFold.lanes(t.sockets, LaneFold.fold(t.sockets)).count
        return lanes > 32 || t.connections.count > 16 && lanes > 12
    }

    public struct Row: Sendable {
        public var id: Int
        /// The socket that sent the first SYN, with its call (`curl[415] fd 5 connect()`), or its address.
        public var opened: String
        /// The socket on the other side that took part (the accepted socket, else the listener), or its address.
        public var peer: String
        public var handshake: String
        public var connState: String
        public var history: String
        /// Payload bytes originator → responder and back.
        public var bytes: (Int, Int)
        public var milliseconds: String
        /// What sent each FIN and RST, in order (`FIN close() curl[415] fd 5`).
        public var closed: String
    }

    public static func rows(_ t: Timeline) -> [Row] {
        var byConnection: [Int: [TimelineSegment]] = [:]
        for s in t.segments { byConnection[s.annotated.connection, default: []].append(s) }
        let calls = Dictionary(t.syscalls.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        func cause(_ s: TimelineSegment) -> String {
            if case .syscall(let i) = s.cause { return CauseLabel.closing(s, call: calls[i]) }
            return CauseLabel.closing(s, call: nil)
        }
        return t.connections.map { c in
            let segs = byConnection[c.id] ?? []
            let syn = segs.first { $0.segment.isBareSYN }
            let opened = syn.map { s in
                if case .syscall(let i) = s.cause, let call = calls[i] { return "\(call.event.socket) \(call.event.call)()" }
                return s.sender ?? s.segment.flow.source.hostPort
            } ?? segs.first?.originatorName ?? c.originator.hostPort
            let fromResponder = segs.filter { $0.segment.flow.source == c.responder && $0.sender != nil }
            let peer = fromResponder.first { !$0.segment.isSYN }?.sender ?? fromResponder.first?.sender ?? c.responder.hostPort
            let closing = segs.filter { $0.segment.isFIN || $0.segment.isRST }.map { ($0.segment.isRST ? "RST " : "FIN ") + cause($0) }
            return Row(id: c.id, opened: opened, peer: peer, handshake: c.handshake.rawValue, connState: c.connState,
                       history: c.history.isEmpty ? "-" : c.history, bytes: (c.originatorStats.payloadBytes, c.responderStats.payloadBytes),
                       milliseconds: Timestamp.milliseconds(c.duration), closed: closing.isEmpty ? "-" : closing.joined(separator: "; "))
        }
    }

    /// The calls, counted by process name, call and outcome: `curl: connect = -1 EINPROGRESS ×200`.
    public static func callCounts(_ t: Timeline) -> [(String, Int)] {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for c in t.syscalls {
            let e = c.event
            let who = e.process?.name ?? e.thread ?? e.socket
            let outcome = e.error.map { "-1 \($0.name)" } ?? (e.call == .accept || e.call == .accept4 || e.call == .socket ? "fd" : e.result.map(String.init) ?? "?")
            let key = "\(who): \(e.call) = \((Correlator.sendCalls.contains(e.call) || Correlator.receiveCalls.contains(e.call)) && e.error == nil ? "n" : outcome)"
            if counts[key] == nil { order.append(key) }
            counts[key, default: 0] += 1
        }
        return order.map { ($0, counts[$0]!) }
    }

    public static func text(_ t: Timeline) -> String {
        let rows = rows(t)
        var s = "\(t.connections.count) connections and \(t.sockets.count) sockets: one row per connection in place of a ladder of \(t.sockets.count) lanes (--full draws it)\n\n"
        let header = ["conn", "opened by", "peer", "handshake", "state", "history", "bytes →/←", "ms", "closed by"]
        var table = [header]
        for r in rows {
            table.append(["#\(r.id)", r.opened, r.peer, r.handshake, r.connState, r.history, "\(r.bytes.0)/\(r.bytes.1)", r.milliseconds, r.closed])
        }
        var widths = header.map { _ in 0 }
        for line in table { for (i, cell) in line.enumerated() where i < header.count - 1 { widths[i] = max(widths[i], cell.count) } }
        for line in table {
            var text = "  "
            for (i, cell) in line.enumerated() {
                text += i == line.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count + 2)
            }
            s += text + "\n"
        }
        s += "\ncalls:\n"
        for (key, n) in callCounts(t) { s += "  \(key)  ×\(n)\n" }
        return s
    }

    public static func markdown(_ t: Timeline, cell: (String) -> String) -> String {
        var s = "\(t.connections.count) connections: one row per connection in place of \(t.connections.count) diagrams.\n\n"
        s += "| conn | opened by | peer | handshake | state | history | bytes →/← | ms | closed by |\n"
        s += "|---|---|---|---|---|---|---|---|---|\n"
        for r in rows(t) {
            s += "| #\(r.id) | \(cell(r.opened)) | \(cell(r.peer)) | \(r.handshake) | \(r.connState) | \(cell(r.history)) | \(r.bytes.0)/\(r.bytes.1) | \(r.milliseconds) | \(cell(r.closed)) |\n"
        }
        s += "\n| calls | count |\n|---|---|\n"
        for (key, n) in callCounts(t) { s += "| \(cell(key)) | \(n) |\n" }
        return s + "\n"
    }

    public static func html(_ t: Timeline) -> String {
        var s = "<p class=\"meta\">\(t.connections.count) connections: one row per connection in place of \(t.connections.count) diagrams.</p>\n"
        s += "<table class=\"conns\"><thead><tr><th>conn</th><th>opened by</th><th>peer</th><th>handshake</th><th>state</th><th>history</th><th>bytes →/←</th><th>ms</th><th>closed by</th></tr></thead><tbody>\n"
        for r in rows(t) {
            let cells = ["#\(r.id)", r.opened, r.peer, r.handshake, r.connState, r.history, "\(r.bytes.0)/\(r.bytes.1)", r.milliseconds, r.closed]
            s += "<tr>" + cells.map { "<td>\(HTMLText.escape($0))</td>" }.joined() + "</tr>\n"
        }
        s += "</tbody></table>\n<h3>Calls</h3>\n<table class=\"conns\"><thead><tr><th>calls</th><th>count</th></tr></thead><tbody>\n"
        for (key, n) in callCounts(t) { s += "<tr><td>\(HTMLText.escape(key))</td><td>\(n)</td></tr>\n" }
        return s + "</tbody></table>\n"
    }
}
