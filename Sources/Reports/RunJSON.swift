import Analysis
import PacketWire
import TraceModel

/// `synscope run --format json` (schema in the README).
public enum RunJSON {
    /// One run as an object; several as `{"runs":[...]}`.
    public static func render(_ runs: [RunRecord]) -> String {
        var s = ByteSink()
        if runs.count == 1 {
            append(runs[0], to: &s)
        } else {
            s.append("{\"runs\":[")
            for (i, r) in runs.enumerated() {
                if i > 0 { s.append(",") }
                append(r, to: &s)
            }
            s.append("]}")
        }
        s.append("\n")
        return String(decoding: s.bytes, as: UTF8.self)
    }

    static func append(_ r: RunRecord, to s: inout ByteSink) {
        let m = r.metadata
        // A trace of a command has no scenario; it has the command, its processes and its exit status.
        s.append("{\"scenario\":")
        if m.command != nil { s.append("null") } else { s.append(jsonString: r.scenario) }
        if let command = m.command { trace(m, command: command, &s) }
        s.append(",\"kernel\":"); s.append(jsonString: r.metadata.kernel)
        s.append(",\"family\":"); s.append(jsonString: r.metadata.ipv6 ? "ipv6" : "ipv4")
        s.append(",\"sockets\":["); s.append(r.timeline.sockets.map { quoted($0) }.joined(separator: ",")); s.append("]")
        s.append(",\"capture_dropped\":"); s.append(decimal: r.metadata.captureDropped)
        s.append(",\"capture_interface_dropped\":"); s.append(decimal: r.metadata.captureInterfaceDropped ?? 0)
        s.append(",\"interrupted\":")
        if let why = r.metadata.interrupted { s.append(jsonString: why) } else { s.append("null") }
        s.append(",\"kernel_events\":")
        if let k = r.timeline.kernelEvents { s.append(jsonString: k) } else { s.append("null") }
        stateChanges(r.timeline, &s)
        s.append(",\"inference\":")
        if let a = r.timeline.inference {
            s.append("{\"agree\":"); s.append(decimal: a.agree); s.append(",\"total\":"); s.append(decimal: a.total)
            s.append(",\"differences\":["); s.append(a.differences.map { quoted($0) }.joined(separator: ",")); s.append("]}")
        } else {
            s.append("null")
        }
        s.append(",\"events\":[")
        for (i, e) in r.timeline.entries.enumerated() {
            if i > 0 { s.append(",") }
            switch e {
            case .syscall(let c): syscall(c, &s)
            case .segment(let g): segment(g, &s)
            case .datagram(let d): datagram(d, &s)
            }
        }
        s.append("],\"connections\":[")
        for (i, c) in r.timeline.connections.enumerated() {
            if i > 0 { s.append(",") }
            ConnectionJSON.append(c, includeSegments: false, to: &s)
        }
        s.append("]")
        expectations(r, &s)
        s.append("}")
    }

    /// A traced command's fields: the command, where it ran, how it ended, its processes and what was left out.
    static func trace(_ m: RunMetadata, command: [String], _ s: inout ByteSink) {
        s.append(",\"command\":["); s.append(command.map { quoted($0) }.joined(separator: ",")); s.append("]")
        s.append(",\"namespace\":"); s.append(m.host == true ? "\"host\"" : "\"private\"")
        s.append(",\"device\":"); s.append(jsonString: m.device ?? "lo")
        s.append(",\"exit_status\":"); if let x = m.exitStatus { s.append(decimal: x) } else { s.append("null") }
        s.append(",\"processes\":[")
        for (i, p) in (m.processes ?? []).enumerated() {
            if i > 0 { s.append(",") }
            s.append("{\"name\":"); s.append(jsonString: p.name)
            s.append(",\"pid\":"); s.append(decimal: p.pid)
            s.append(",\"parent\":"); if let q = p.parent { s.append(decimal: q) } else { s.append("null") }
            s.append(",\"programs\":["); s.append(p.programs.map { quoted($0) }.joined(separator: ",")); s.append("]")
            s.append(",\"exited\":"); if let t = p.exited { s.append("\""); s.append(t.decimalString); s.append("\"") } else { s.append("null") }
            s.append("}")
        }
        s.append("],\"left_out\":{\"calls\":"); s.append(decimal: m.callsLeftOut ?? 0)
        s.append(",\"packets\":"); s.append(decimal: m.packetsLeftOut ?? 0); s.append("}")
    }

    static func stateChanges(_ t: Timeline, _ s: inout ByteSink) {
        s.append(",\"state_changes\":[")
        for (i, c) in t.stateChanges.enumerated() {
            if i > 0 { s.append(",") }
            s.append("{\"time\":\""); s.append(c.time.decimalString)
            s.append("\",\"socket\":"); if let n = c.socket { s.append(jsonString: n) } else { s.append("null") }
            s.append(",\"local\":"); if let a = c.local { s.append(jsonString: a.hostPort) } else { s.append("null") }
            s.append(",\"remote\":"); if let a = c.remote { s.append(jsonString: a.hostPort) } else { s.append("null") }
            s.append(",\"from\":"); s.append(jsonString: c.from)
            s.append(",\"to\":"); s.append(jsonString: c.to); s.append("}")
        }
        s.append("]")
    }

    static func expectations(_ r: RunRecord, _ s: inout ByteSink) {
        s.append(",\"expectations\":{\"status\":")
        s.append(r.results.isEmpty ? "\"unchecked\"" : r.passed ? "\"pass\"" : "\"diff\"")
        s.append(",\"checks\":[")
        for (i, e) in r.results.enumerated() {
            if i > 0 { s.append(",") }
            s.append("{\"expectation\":"); s.append(jsonString: e.expectation)
            s.append(e.passed ? ",\"passed\":true" : ",\"passed\":false")
            s.append(",\"observed\":"); s.append(jsonString: e.observed); s.append("}")
        }
        s.append("]}")
    }

    static func quoted(_ text: String) -> String {
        var s = ByteSink(capacity: text.utf8.count + 2)
        s.append(jsonString: text)
        return String(decoding: s.bytes, as: UTF8.self)
    }

    static func syscall(_ c: TimelineSyscall, _ s: inout ByteSink) {
        let e = c.event
        s.append("{\"kind\":\"syscall\",\"index\":"); s.append(decimal: c.index)
        s.append(",\"socket\":"); s.append(jsonString: e.socket)
        s.append(",\"fd\":"); s.append(decimal: e.fd)
        s.append(",\"call\":"); s.append(jsonString: e.call)
        s.append(",\"thread\":"); if let t = e.thread { s.append(jsonString: t) } else { s.append("null") }
        s.append(",\"tid\":"); if let t = e.tid { s.append(decimal: t) } else { s.append("null") }
        s.append(",\"process\":")
        if let p = e.process { s.append("{\"name\":"); s.append(jsonString: p.name); s.append(",\"pid\":"); s.append(decimal: p.pid); s.append("}") } else { s.append("null") }
        s.append(",\"args\":{")
        for (i, a) in e.arguments.enumerated() {
            if i > 0 { s.append(",") }
            s.append(jsonString: a.name); s.append(":"); value(a.value, &s)
        }
        s.append("},\"result\":")
        if let r = e.result { s.append(decimal: r) } else { s.append("-1") }
        s.append(",\"errno\":")
        if let err = e.error { s.append(jsonString: err.name) } else { s.append("null") }
        s.append(",\"outputs\":{")
        for (i, a) in e.outputs.enumerated() {
            if i > 0 { s.append(",") }
            s.append(jsonString: a.name); s.append(":"); value(a.value, &s)
        }
        s.append("},\"begin\":\""); s.append(e.begin.decimalString)
        s.append("\",\"end\":\""); s.append(e.end.decimalString)
        s.append("\",\"caused\":["); s.append(c.caused.map(String.init).joined(separator: ","))
        s.append("],\"returned_after\":")
        if let r = c.returnedAfter { s.append(decimal: r) } else { s.append("null") }
        s.append(",\"counters\":{")
        for (i, (name, delta)) in (e.counters ?? [:]).sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { s.append(",") }
            s.append(jsonString: name); s.append(":"); s.append(decimal: delta)
        }
        s.append("}")
        s.append(",\"states_after\":{")
        for (i, snap) in e.snapshot.enumerated() {
            if i > 0 { s.append(",") }
            s.append(jsonString: snap.socket); s.append(":{\"state\":"); s.append(jsonString: snap.state)
            s.append(",\"recv_q\":"); s.append(decimal: snap.receiveQueue)
            s.append(",\"send_q\":"); s.append(decimal: snap.sendQueue)
            if let q = snap.synQueue { s.append(",\"syn_q\":"); s.append(decimal: q) }
            s.append("}")
        }
        s.append("}}")
    }

    static func datagram(_ d: TimelineDatagram, _ s: inout ByteSink) {
        s.append("{\"kind\":\"datagram\",\"index\":"); s.append(decimal: d.index)
        s.append(",\"frame\":"); s.append(decimal: d.frame)
        s.append(",\"time\":\""); s.append(d.time.decimalString)
        s.append("\",\"proto\":"); s.append(jsonString: d.proto)
        s.append(",\"src\":"); s.append(jsonString: d.source.address.description)
        s.append(",\"sport\":"); if d.proto == "udp" { s.append(decimal: d.source.port) } else { s.append("null") }
        s.append(",\"dst\":"); s.append(jsonString: d.destination.address.description)
        s.append(",\"dport\":"); if d.proto == "udp" { s.append(decimal: d.destination.port) } else { s.append("null") }
        s.append(",\"payload_len\":"); s.append(decimal: d.payloadLength)
        if let t = d.icmpType, let c = d.icmpCode {
            s.append(",\"type\":"); s.append(decimal: t); s.append(",\"code\":"); s.append(decimal: c)
        }
        s.append(",\"sender\":")
        if let n = d.sender { s.append(jsonString: n) } else { s.append("null") }
        s.append(",\"cause\":")
        cause(d.cause, source: .inferred, &s)
        s.append(",\"explanation\":"); s.append(jsonString: d.explanation); s.append("}")
    }

    /// `{"kind":"reply","event":4,"timer":null,"source":"kernel"}`.
    static func cause(_ c: SegmentCause, source: CauseSource, _ s: inout ByteSink) {
        switch c {
        case .syscall(let e): s.append("{\"kind\":\"syscall\",\"event\":"); s.append(decimal: e); s.append(",\"timer\":null")
        case .reply(let e): s.append("{\"kind\":\"reply\",\"event\":"); s.append(decimal: e); s.append(",\"timer\":null")
        case .timer(let t): s.append("{\"kind\":\"timer\",\"event\":null,\"timer\":"); s.append(jsonString: t)
        case .untraced(let task): s.append("{\"kind\":\"untraced\",\"event\":null,\"timer\":null,\"task\":"); s.append(decimal: task)
        }
        s.append(",\"source\":"); s.append(jsonString: source.rawValue); s.append("}")
    }

    static func value(_ v: SyscallValue, _ s: inout ByteSink) {
        switch v {
        case .int(let n): s.append(decimal: n)
        default: s.append(jsonString: v.description)
        }
    }

    static func segment(_ g: TimelineSegment, _ s: inout ByteSink) {
        let seg = g.segment
        s.append("{\"kind\":\"segment\",\"index\":"); s.append(decimal: g.index)
        s.append(",\"frame\":"); s.append(decimal: seg.frame)
        s.append(",\"time\":\""); s.append(seg.time.decimalString)
        s.append("\",\"src\":"); s.append(jsonString: seg.flow.source.address.description)
        s.append(",\"sport\":"); s.append(decimal: seg.flow.source.port)
        s.append(",\"dst\":"); s.append(jsonString: seg.flow.destination.address.description)
        s.append(",\"dport\":"); s.append(decimal: seg.flow.destination.port)
        s.append(",\"sender\":")
        if let n = g.sender { s.append(jsonString: n) } else { s.append("null") }
        s.append(","); SegmentLabel(g).appendJSON(to: &s)
        s.append(",\"connection\":"); s.append(decimal: g.annotated.connection)
        s.append(",\"cause\":")
        cause(g.cause, source: g.source, &s)
        s.append(",\"kernel\":")
        if let k = g.kernel {
            s.append("{\"context\":"); s.append(jsonString: k.context.rawValue)
            s.append(",\"timer\":"); if let t = k.timer { s.append(jsonString: t) } else { s.append("null") }
            s.append(",\"reset_reason\":"); if let r = k.resetReason { s.append(jsonString: r) } else { s.append("null") }
            s.append(k.retransmit ? ",\"retransmit\":true}" : ",\"retransmit\":false}")
        } else {
            s.append("null")
        }
        s.append(",\"fate\":")
        if let f = g.fate {
            s.append("{\"dropped\":"); s.append(jsonString: f.dropped); s.append(",\"evidence\":"); s.append(jsonString: f.evidence); s.append("}")
        } else {
            s.append("null")
        }
        s.append(",\"explanation\":"); s.append(jsonString: g.explanation)
        s.append(",\"findings\":["); s.append(g.annotated.findings.map { quoted($0.name) }.joined(separator: ","))
        s.append("],\"states_after\":{\"originator\":"); s.append(jsonString: g.annotated.states.originator.name)
        s.append(",\"responder\":"); s.append(jsonString: g.annotated.states.responder.name)
        s.append(",\"originator_name\":"); s.append(jsonString: g.originatorName)
        s.append(",\"responder_name\":"); s.append(jsonString: g.responderName)
        s.append("}}")
    }
}
