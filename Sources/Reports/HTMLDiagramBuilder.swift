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

    // MARK: Lanes of a run

    enum LaneKey: Hashable {
        case socket(String)
        case endpoint(SocketAddress)
        /// The kernel answering with ICMP for a port a socket holds.
        case kernel(IPAddress)
    }

    /// Which lane each address belongs to, and the lanes in order.
    struct RunLanes {
        var keys: [LaneKey] = []
        var index = LaneIndex()
        var address: [SocketAddress: String] = [:]
        var detail: [String: String] = [:]

        func lane(_ a: SocketAddress) -> Int? {
            if let name = address[a] { return index[.socket(name)] }
            return index[.endpoint(a)]
        }

        /// The socket name for an address, or the address itself.
        func name(_ a: SocketAddress) -> String { address[a] ?? a.hostPort }
    }

    /// Lane numbers by key; numbered sockets folded into one lane (LaneFold) share its number.
    struct LaneIndex {
        var fold: [String: String] = [:]
        var map: [LaneKey: Int] = [:]
        subscript(_ k: LaneKey) -> Int? {
            get { map[folded(k)] }
            set { map[folded(k)] = newValue }
        }
        func folded(_ k: LaneKey) -> LaneKey {
            if case .socket(let n) = k, let f = fold[n] { return .socket(f) }
            return k
        }
    }

    static func lanes(of t: Timeline) -> RunLanes {
        var r = RunLanes()
        r.index.fold = LaneFold.fold(t.sockets)
        var address: [SocketAddress: String] = [:]
        func claim(_ a: SocketAddress, _ socket: String) { if address[a] == nil { address[a] = socket } }
        // Who sent from an address says most; then what the kernel reported; then bind().
        for s in t.segments { if let n = s.sender { claim(s.segment.flow.source, n) } }
        for d in t.datagrams { if let n = d.sender { claim(d.source, n) } }
        for c in t.syscalls {
            for snap in c.event.snapshot where snap.state != "LISTEN" && snap.state != "CLOSED" {
                if let l = snap.local { claim(l, snap.socket) }
            }
        }
        for c in t.syscalls { if c.event.call == "bind", case .address(let a)? = c.event.argument("addr") { claim(a, c.event.socket) } }
        for c in t.syscalls {
            for snap in c.event.snapshot where snap.state == "LISTEN" { if let l = snap.local { claim(l, snap.socket) } }
        }
        r.address = address.filter { t.sockets.contains($0.value) }

        // A lane's address: what it was bound to, else what it sent from, else what the kernel showed.
        for c in t.syscalls where c.event.call == "bind" {
            if case .address(let a)? = c.event.argument("addr"), r.detail[c.event.socket] == nil { r.detail[c.event.socket] = a.hostPort }
        }
        for s in t.segments { if let n = s.sender, r.detail[n] == nil { r.detail[n] = s.segment.flow.source.hostPort } }
        for d in t.datagrams { if let n = d.sender, r.detail[n] == nil { r.detail[n] = d.source.hostPort } }
        for c in t.syscalls {
            for snap in c.event.snapshot { if let l = snap.local, r.detail[snap.socket] == nil { r.detail[snap.socket] = l.hostPort } }
        }

        // Endpoints without a socket get a lane right of the first socket that talks to them.
        var keys: [LaneKey] = LaneFold.lanes(t.sockets, r.index.fold).map { .socket($0) }
        func key(_ a: SocketAddress) -> LaneKey { r.address[a].map { .socket($0) } ?? .endpoint(a) }
        func add(_ k: LaneKey, near peer: LaneKey?) {
            let k = r.index.folded(k), peer = peer.map(r.index.folded)
            guard !keys.contains(k) else { return }
            guard let peer, let p = keys.firstIndex(of: peer) else { keys.append(k); return }
            var i = p + 1
            while i < keys.count, !isSocket(keys[i]) { i += 1 }
            keys.insert(k, at: i)
        }
        for e in t.entries {
            switch e {
            case .segment(let s):
                let src = s.sender.map { LaneKey.socket($0) } ?? key(s.segment.flow.source)
                let dst = key(s.segment.flow.destination)
                add(src, near: dst)
                add(dst, near: src)
            case .datagram(let d):
                let ends = datagramEnds(d, r)
                add(ends.from, near: ends.to)
                add(ends.to, near: ends.from)
            case .syscall:
                break
            }
        }
        r.keys = keys
        for (i, k) in keys.enumerated() { r.index[k] = i }
        return r
    }

    static func isSocket(_ k: LaneKey) -> Bool { if case .socket = k { true } else { false } }

    /// The lanes a datagram is drawn between. An ICMP error the kernel sent
    /// comes from the address the quoted datagram went to: its own lane when
    /// no socket has that address, otherwise a lane for the kernel.
    static func datagramEnds(_ d: TimelineDatagram, _ r: RunLanes) -> (from: LaneKey, to: LaneKey) {
        func key(_ a: SocketAddress) -> LaneKey { r.address[a].map { .socket($0) } ?? .endpoint(a) }
        if d.proto == "udp" {
            return (d.sender.map { .socket($0) } ?? key(d.source), key(d.destination))
        }
        let to: LaneKey = d.quotes.map { key($0.source) } ?? .kernel(d.destination.address)
        if let n = d.sender { return (.socket(n), to) }
        if let q = d.quotes, r.address[q.destination] == nil { return (.endpoint(q.destination), to) }
        return (.kernel(d.source.address), to)
    }

    // MARK: A run

    static func diagram(run: RunRecord, id: String) -> (HTMLDiagram, RunLanes) {
        let t = run.timeline
        let lanes = lanes(of: t)
        let laneList: [HTMLDiagram.Lane] = lanes.keys.map { k in
            switch k {
            case .socket(let n): HTMLDiagram.Lane(name: n, detail: lanes.detail[n] ?? "", phantom: false)
            case .endpoint(let a): HTMLDiagram.Lane(name: a.hostPort, detail: "no socket", phantom: true)
            case .kernel(let a): HTMLDiagram.Lane(name: "kernel", detail: "\(a) (ICMP)", phantom: true)
            }
        }
        let start = t.entries.first?.time ?? Timestamp(nanoseconds: 0)
        func ms(_ ts: Timestamp) -> String { Timestamp.milliseconds(ts.nanoseconds - start.nanoseconds) }

        // Entry index → short description, for causes.
        var brief: [Int: String] = [:]
        for e in t.entries {
            switch e {
            case .syscall(let c): brief[c.index] = "#\(c.index) \(c.event.call)() on \(c.event.socket)"
            case .segment(let s): brief[s.index] = "#\(s.index) " + SegmentLabel(s).flagText
            case .datagram(let d): brief[d.index] = "#\(d.index) \(d.token)"
            }
        }
        func describe(_ e: Int) -> String { brief[e] ?? "#\(e)" }

        // The lane of each end of a connection: the socket that sent from it
        // on this flow (two accepted sockets share the listener's address),
        // else whoever has the address.
        let receivers = Receivers(t)
        // A SYN nobody answered went to the listener, if one has the address.
        var listener: [SocketAddress: Int] = [:]
        for c in t.syscalls {
            for snap in c.event.snapshot where snap.state == "LISTEN" {
                if let a = snap.local, let l = lanes.index[.socket(snap.socket)], listener[a] == nil { listener[a] = l }
            }
        }
        func laneOf(_ a: SocketAddress, on flow: DirectedFlow) -> Int? {
            let directed = flow.source == a ? flow : flow.reversed
            return receivers.firstSender(on: directed).flatMap { lanes.index[.socket($0)] } ?? listener[a] ?? lanes.lane(a)
        }
        // Lanes take their states from the kernel's snapshots before and
        // after they are an endpoint on the wire, and from the segments while
        // they are (the wire tells a closing socket's states after close()
        // returned, when the kernel already calls it CLOSED).
        var wireFrom: [Int: Int] = [:], wireTo: [Int: Int] = [:]
        for (p, e) in t.entries.enumerated() {
            guard case .segment(let s) = e else { continue }
            let f = s.segment.flow
            for a in [f.source, f.destination] {
                guard let l = laneOf(a, on: f) else { continue }
                if wireFrom[l] == nil { wireFrom[l] = p }
                wireTo[l] = p
            }
        }
        // A snapshot is true when its call returned: apply it after the last entry before that.
        var snapshotsAfter: [Int: [SocketSnapshot]] = [:]
        for (p, e) in t.entries.enumerated() {
            guard case .syscall(let c) = e, !c.event.snapshot.isEmpty else { continue }
            var q = p
            while q + 1 < t.entries.count, t.entries[q + 1].time <= c.event.end { q += 1 }
            snapshotsAfter[q, default: []] += c.event.snapshot
        }

        // Which entries to draw.
        let segmentPositions = t.entries.indices.filter { if case .segment = t.entries[$0] { true } else { false } }
        var elided: Range<Int>? = nil
        if segmentPositions.count > elideAbove {
            elided = (segmentPositions[keepFirst - 1] + 1)..<segmentPositions[segmentPositions.count - keepLast]
        } else if t.entries.count > elideEntriesAbove {
            elided = keepFirstEntries..<(t.entries.count - keepLastEntries)
        }

        var states = [String?](repeating: nil, count: lanes.keys.count)
        var rows: [HTMLDiagram.Row] = []
        var skipped = (segments: 0, calls: 0, datagrams: 0, first: Int?.none, last: 0)
        for (p, e) in t.entries.enumerated() {
            let drawn = !(elided?.contains(p) ?? false)
            if drawn, skipped.segments + skipped.calls + skipped.datagrams > 0 {
                rows.append(gapRow(skipped.segments, skipped.calls, skipped.datagrams, first: skipped.first, last: skipped.last, states: states))
                skipped = (0, 0, 0, nil, 0)
            }
            var row: HTMLDiagram.Row?
            switch e {
            case .syscall(let c):
                let ev = c.event
                var text = "\(ev.call)(\(ev.arguments.map { "\($0.name)=\($0.value)" }.joined(separator: ", "))) = "
                text += ev.error.map { "-1 \($0.name)" } ?? String(ev.result ?? 0)
                var aside: [String] = []
                if let err = ev.error { aside.append("\(err.name): \(err.message)") }
                if let r = c.returnedAfter { aside.append("returned after " + (brief[r] ?? "#\(r)")) }
                if !c.caused.isEmpty { aside.append("sent " + c.caused.map { brief[$0] ?? "#\($0)" }.joined(separator: ", ")) }
                var title = ["#\(c.index) \(ev.call)() on \(ev.socket)",
                             "call: " + (ev.thread.map { "[\($0)] " } ?? "") + ev.strace,
                             "time: +\(ms(ev.begin)) ms, returned at +\(ms(ev.end)) ms (\(Timestamp.milliseconds(ev.end.nanoseconds - ev.begin.nanoseconds)) ms)"]
                if let err = ev.error { title.append("error: \(err.name) (\(err.message))") }
                if !ev.outputs.isEmpty { title.append("outputs: " + ev.outputs.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")) }
                if let r = c.returnedAfter { title.append("returned after: " + (brief[r] ?? "#\(r)")) }
                if !c.caused.isEmpty { title.append("sent: " + c.caused.map { brief[$0] ?? "#\($0)" }.joined(separator: ", ")) }
                if !ev.snapshot.isEmpty { title.append("kernel after: " + kernelStates(ev.snapshot)) }
                if let lane = lanes.index[.socket(ev.socket)] {
                    row = HTMLDiagram.Row(time: ms(ev.begin), item: .call(lane: lane, index: c.index, text: text, error: ev.error != nil),
                                          note: "", aside: aside.joined(separator: " · "), title: title.joined(separator: "\n"), states: [])
                }
                if !drawn { skipped.calls += 1 }
            case .segment(let s):
                let seg = s.segment
                let from = s.sender.flatMap { lanes.index[.socket($0)] } ?? laneOf(seg.flow.source, on: seg.flow) ?? 0
                let to = seg.flow.source == seg.flow.destination ? from : (laneOf(seg.flow.destination, on: seg.flow) ?? from)
                // States after the segment, on the wire.
                let originator = s.annotated.direction == .originator ? seg.flow.source : seg.flow.destination
                let responder = s.annotated.direction == .originator ? seg.flow.destination : seg.flow.source
                // UNKNOWN says nothing new: keep what the lane showed.
                if let l = laneOf(responder, on: seg.flow), s.annotated.states.responder != .unknown { states[l] = s.annotated.states.responder.name }
                if let l = laneOf(originator, on: seg.flow), s.annotated.states.originator != .unknown { states[l] = s.annotated.states.originator.name }
                let fromName = laneList[from].name
                let toName = laneList[to].name
                let title = segmentTitle(heading: "#\(s.index) \(SegmentLabel(s).flagText) \(fromName) → \(toName)", a: s.annotated,
                                         time: "+\(ms(seg.time)) ms", cause: CauseLabel.segment(s, describe: describe), explanation: s.explanation + (s.fate.map { "; " + CauseWording.fate($0) } ?? ""),
                                         states: "\(s.originatorName) \(s.annotated.states.originator.name), \(s.responderName) \(s.annotated.states.responder.name)")
                row = HTMLDiagram.Row(time: ms(seg.time), item: .arrow(arrow(s.annotated, index: s.index, from: from, to: to)),
                                      note: s.explanation, aside: CauseLabel.segment(s, describe: describe), title: title, states: [])
                if !drawn {
                    skipped.segments += 1
                    if skipped.first == nil { skipped.first = s.index }
                    skipped.last = s.index
                }
            case .datagram(let d):
                let ends = datagramEnds(d, lanes)
                let from = lanes.index[ends.from] ?? 0, to = lanes.index[ends.to] ?? 0
                let label = d.proto == "udp" ? "len \(d.payloadLength)" : ""
                let isError = d.proto != "udp"
                var title = ["#\(d.index) \(d.token) \(d.source.hostPort) → \(d.destination.hostPort)",
                             "time: +\(ms(d.time)) ms (frame \(d.frame))",
                             "protocol: \(d.proto)"]
                if d.proto == "udp" { title.append("payload length: \(d.payloadLength)") }
                if let ty = d.icmpType { title.append("ICMP type/code: \(ty)/\(d.icmpCode ?? 0)") }
                if let q = d.quotes { title.append("quotes: udp \(q.source.hostPort) → \(q.destination.hostPort)") }
                title.append("sender: " + (d.sender ?? "the kernel"))
                title.append("cause: " + CauseLabel.datagram(d, describe: describe))
                title.append("explanation: " + d.explanation)
                let a = HTMLDiagram.Arrow(segment: false, index: d.index, from: from, to: to, flags: d.token, label: label,
                                          kind: isError ? "icmp" : "udp", alert: isError ? .error : nil, findings: [], dashed: true)
                row = HTMLDiagram.Row(time: ms(d.time), item: .arrow(a), note: d.explanation, aside: CauseLabel.datagram(d, describe: describe),
                                      title: title.joined(separator: "\n"), states: [])
                if !drawn { skipped.datagrams += 1 }
            }
            // Kernel snapshots that hold from here on, for lanes not seen on the wire.
            for snap in snapshotsAfter[p] ?? [] {
                guard let l = lanes.index[.socket(snap.socket)], p < wireFrom[l] ?? Int.max || p > wireTo[l] ?? Int.max else { continue }
                if snap.state == "CLOSED" && states[l] == nil { continue }
                states[l] = snap.state
            }
            if drawn, var r = row {
                r.states = states
                rows.append(r)
            }
        }
        if skipped.segments + skipped.calls + skipped.datagrams > 0 {
            rows.append(gapRow(skipped.segments, skipped.calls, skipped.datagrams, first: skipped.first, last: skipped.last, states: states))
        }
        return (HTMLDiagram(id: id, lanes: laneList, rows: rows), lanes)
    }
    static func gapRow(_ segments: Int, _ calls: Int, _ datagrams: Int, first: Int?, last: Int, states: [String?], frames: String = "") -> HTMLDiagram.Row {
        var parts: [String] = []
        if segments > 0 {
            var s = "\(segments) segment\(segments == 1 ? "" : "s")"
            if let first { s += " (#\(first)–#\(last))" }
            s += frames
            parts.append(s)
        }
        if calls > 0 { parts.append("\(calls) call\(calls == 1 ? "" : "s")") }
        if datagrams > 0 { parts.append("\(datagrams) datagram\(datagrams == 1 ? "" : "s")") }
        let text = "… " + parts.joined(separator: ", ") + " not drawn …"
        return HTMLDiagram.Row(time: "", item: .gap(text), note: "", aside: "", title: text, states: states)
    }

    static func kernelStates(_ snapshot: [SocketSnapshot]) -> String {
        snapshot.map { s in
            var text = "\(s.socket) \(s.state)"
            if s.state == "LISTEN" { text += " (accept queue \(s.receiveQueue), SYN queue \(s.synQueue ?? 0))" }
            else if s.receiveQueue > 0 || s.sendQueue > 0 { text += " (recv-q \(s.receiveQueue), send-q \(s.sendQueue))" }
            return text
        }.joined(separator: ", ")
    }

    // MARK: Segments

    static func arrow(_ a: AnnotatedSegment, index: Int, from: Int, to: Int) -> HTMLDiagram.Arrow {
        let seg = a.segment
        let label = SegmentLabel(a)
        let kind: String
        if seg.isRST { kind = "rst" } else if seg.isSYN { kind = "syn" } else if seg.isFIN { kind = "fin" } else if seg.payloadLength > 0 { kind = "data" } else { kind = "ack" }
        let alert: HTMLDiagram.Alert? = seg.isRST ? .rst : (a.findings.isEmpty ? nil : .finding)
        return HTMLDiagram.Arrow(segment: true, index: index, from: from, to: to, flags: label.flagText, label: label.numbers,
                                 kind: kind, alert: alert, findings: a.findings.map(\.name),
                                 dashed: a.findings.contains(.retransmission) || a.findings.contains(.spuriousRetransmission) || a.findings.contains(.fastRetransmission))
    }

    static func flagNames(_ f: TCPFlags) -> String {
        var names: [String] = []
        if f.contains(.fin) { names.append("FIN") }
        if f.contains(.syn) { names.append("SYN") }
        if f.contains(.rst) { names.append("RST") }
        if f.contains(.psh) { names.append("PSH") }
        if f.contains(.ack) { names.append("ACK") }
        if f.contains(.urg) { names.append("URG") }
        if f.contains(.ece) { names.append("ECE") }
        if f.contains(.cwr) { names.append("CWR") }
        if f.contains(.ae) { names.append("AE") }
        return names.isEmpty ? "none" : names.joined(separator: ", ")
    }

    static func options(_ o: TCPOptions) -> String {
        var parts: [String] = []
        if let mss = o.maximumSegmentSize { parts.append("mss \(mss)") }
        if o.sackPermitted { parts.append("sackOK") }
        if let v = o.timestampValue { parts.append("TS val \(v) ecr \(o.timestampEchoReply ?? 0)") }
        if let ws = o.windowScale { parts.append("wscale \(ws)") }
        if let b = o.sackBlocks {
            parts.append("sack " + (0..<b.count).map { "\(b[$0].left.rawValue)-\(b[$0].right.rawValue)" }.joined(separator: " "))
        }
        if let n = o.fastOpenCookieLength { parts.append(n == 0 ? "TFO cookie request" : "TFO cookie (\(n) bytes)") }
        if o.unknownCount > 0 { parts.append("\(o.unknownCount) unknown") }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    /// Every header field of a segment, for the tooltip and the details panel.
    static func segmentTitle(heading: String, a: AnnotatedSegment, time: String, cause: String?, explanation: String?, states: String) -> String {
        let seg = a.segment
        var lines = [heading,
                     "time: \(time) (frame \(seg.frame))",
                     "flow: \(seg.flow.source.hostPort) → \(seg.flow.destination.hostPort) (\(a.direction.rawValue))",
                     "flags: \(SegmentLabel(a).flagText) (\(flagNames(seg.flags)))",
                     "seq: \(a.relativeSequence) relative, \(seg.sequence.rawValue) raw",
                     "ack: " + (a.relativeAcknowledgment.map { "\($0) relative, \(seg.acknowledgment.rawValue) raw" } ?? "— (ACK clear; field \(seg.acknowledgment.rawValue))"),
                     "window: \(seg.window) (raw, unscaled)",
                     "payload length: \(seg.payloadLength)",
                     "header length: \(seg.headerLength)",
                     "options: " + options(seg.options)]
        if let cause { lines.append("cause: " + cause) }
        if let explanation { lines.append("explanation: " + explanation) }
        lines.append("findings: " + (a.findings.isEmpty ? "none" : a.findings.map { "\($0.name) (\($0.label))" }.joined(separator: ", ")))
        if seg.isTruncated { lines.append("capture: cut by the snaplen") }
        lines.append("states after: " + states)
        return lines.joined(separator: "\n")
    }

    // MARK: A connection of a plain capture

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
                    row.states = selfConnect ? [prior.originator.name] : [prior.originator.name, prior.responder.name]
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
                                        title: title, states: selfConnect ? [a.states.originator.name] : [a.states.originator.name, a.states.responder.name]))
        }
        return HTMLDiagram(id: id, lanes: lanes, rows: rows)
    }
}

