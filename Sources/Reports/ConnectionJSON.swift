import Analysis
import PacketWire
import TraceModel

/// JSON for `synscope analyze` (schema in the README, "analyze --format json").
public enum ConnectionJSON {
    /// One connection as a single-line JSON object.
    public static func object(_ c: Connection, includeSegments: Bool) -> String {
        var s = ByteSink(capacity: 1024)
        append(c, includeSegments: includeSegments, to: &s)
        return String(decoding: s.bytes, as: UTF8.self)
    }

    /// Written by hand because `analyze` writes one per connection (500,000 in a large capture),
    /// where `JSONEncoder` would cost more than the analysis; the bytes equal `ConnectionModel`'s
    /// encoding (keys sorted), which a test checks on every capture.
    public static func append(_ c: Connection, includeSegments: Bool, to s: inout ByteSink) {
        s.append("{\"conn_state\":"); s.append(jsonString: c.connState)
        s.append(",\"duration_ns\":"); s.append(decimal: c.duration)
        s.append(",\"end\":\""); s.append(timestamp: c.end)
        s.append("\",\"final_states\":"); states(c.finalStates, &s)
        s.append(",\"findings\":{")
        if !c.findingCounts.isEmpty {
            var first = true
            for f in Self.findingsByName {
                guard let n = c.findingCounts[f] else { continue }
                if !first { s.append(",") }
                first = false
                s.append(jsonString: f.name); s.append(":"); s.append(decimal: n)
            }
        }
        s.append("},\"first_frame\":"); s.append(decimal: c.firstFrame)
        s.append(",\"handshake\":"); s.append(jsonString: c.handshake.rawValue)
        s.append(",\"handshake_rtt_ns\":")
        if let rtt = c.handshakeRTT { s.append(decimal: rtt) } else { s.append("null") }
        s.append(",\"history\":"); s.append(jsonString: c.history)
        s.append(",\"id\":"); s.append(decimal: c.id)
        s.append(",\"last_frame\":"); s.append(decimal: c.lastFrame)
        s.append(",\"originator\":"); endpoint(c.originator, &s)
        s.append(c.originatorIsGuess ? ",\"originator_guessed\":true" : ",\"originator_guessed\":false")
        s.append(",\"originator_stats\":"); stats(c.originatorStats, &s)
        s.append(",\"responder\":"); endpoint(c.responder, &s)
        s.append(",\"responder_stats\":"); stats(c.responderStats, &s)
        if includeSegments {
            s.append(",\"segments\":[")
            for (i, a) in c.segments.enumerated() {
                if i > 0 { s.append(",") }
                segment(a, &s)
            }
            s.append("]")
        }
        s.append(",\"start\":\""); s.append(timestamp: c.start)
        s.append("\",\"teardown\":"); s.append(jsonString: c.teardown.rawValue)
        s.append("}")
    }

    /// The findings in the order of their names: JSON's sorted keys.
    static let findingsByName = Finding.allCases.sorted { $0.name < $1.name }

    static func endpoint(_ a: SocketAddress, _ s: inout ByteSink) {
        s.append("{\"addr\":\""); s.append(a.address); s.append("\"")
        s.append(",\"port\":"); s.append(decimal: a.port); s.append("}")
    }

    static func stats(_ st: DirectionStats, _ s: inout ByteSink) {
        s.append("{\"payload_bytes\":"); s.append(decimal: st.payloadBytes)
        s.append(",\"retransmissions\":"); s.append(decimal: st.retransmissions)
        s.append(",\"segments\":"); s.append(decimal: st.segments); s.append("}")
    }

    static func states(_ st: ConnectionStates, _ s: inout ByteSink) {
        s.append("{\"originator\":"); s.append(jsonString: st.originator.name)
        s.append(",\"responder\":"); s.append(jsonString: st.responder.name); s.append("}")
    }

    static func segment(_ a: AnnotatedSegment, _ s: inout ByteSink) {
        let seg = a.segment
        let label = SegmentLabel(a)
        s.append("{\"findings\":[")
        for (i, f) in a.findings.enumerated() {
            if i > 0 { s.append(",") }
            s.append(jsonString: f.name)
        }
        s.append("],\"flags\":\""); s.appendFlags(label.flags)
        s.append("\",\"frame\":"); s.append(decimal: seg.frame)
        s.append(",\"from\":"); s.append(jsonString: a.direction.rawValue)
        s.append(",\"payload_len\":"); s.append(decimal: label.length)
        s.append(",\"rel_ack\":")
        if let ack = label.acknowledgment { s.append(decimal: ack) } else { s.append("null") }
        s.append(",\"rel_seq\":"); s.append(decimal: label.sequence)
        s.append(",\"states\":"); states(a.states, &s)
        s.append(",\"time\":\""); s.append(timestamp: seg.time)
        s.append("\",\"window\":"); s.append(decimal: seg.window)
        s.append("}")
    }
}
