import Analysis
import PacketWire
import TraceModel

/// The words of a diagram: an arrow's label, a segment's tooltip with every
/// header field, and a gap row.
extension HTMLDiagramBuilder {
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

    /// `… 120 segments (#101–#220), 3 calls not drawn …`
    static func gapRow(_ segments: Int, _ calls: Int, _ datagrams: Int, first: Int?, last: Int, states: [TCPState?], frames: String = "") -> HTMLDiagram.Row {
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
}
