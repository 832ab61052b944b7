import Analysis

/// The comment synscope writes on each packet of an annotated pcapng
/// (Wireshark's and tshark's `frame.comment`).
public enum PacketComment {
    /// A run's segment: `synscope #7 reply to #5: SYN-ACK from … [retransmission]`.
    public static func text(_ s: TimelineSegment) -> String {
        var text = "synscope #\(s.index) \(CauseLabel.segment(s)): \(s.explanation)"
        if !s.annotated.findings.isEmpty { text += " [" + s.annotated.findings.map(\.name).joined(separator: ", ") + "]" }
        if let f = s.fate { text += "; " + CauseWording.fate(f) }
        return text
    }

    public static func text(_ d: TimelineDatagram) -> String {
        "synscope #\(d.index) \(CauseLabel.datagram(d)): \(d.explanation)"
    }

    /// A segment of a plain capture: its connection, direction, label, states after it and findings.
    public static func text(_ a: AnnotatedSegment) -> String {
        var text = "synscope conn #\(a.connection) \(a.direction == .originator ? "originator→responder" : "responder→originator") "
        text += SegmentLabel(a).text
        text += "; states after: originator \(a.states.originator.name), responder \(a.states.responder.name)"
        if !a.findings.isEmpty { text += "; findings: " + a.findings.map(\.name).joined(separator: ", ") }
        return text
    }
}
