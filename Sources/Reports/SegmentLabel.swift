import Analysis
import PacketWire

/// How every report shows a TCP segment: `[S.] seq 0 ack 1 len 0`.
/// The flags in tcpdump's notation and brackets (print-tcp.c: `Flags [S.]`),
/// then the sequence number relative to the sender's ISN, the acknowledgment
/// relative to the peer's (only with the ACK flag set), and the payload length.
/// Formats take the pieces they lay out apart: HTML draws the flags bold, the
/// connection timeline puts each in a column, JSON writes them as fields.
public struct SegmentLabel: Sendable {
    public var flags: TCPFlags
    public var sequence: UInt32
    public var acknowledgment: UInt32?
    public var length: Int

    public init(flags: TCPFlags, sequence: UInt32, acknowledgment: UInt32?, length: Int) {
        self.flags = flags
        self.sequence = sequence
        self.acknowledgment = acknowledgment
        self.length = length
    }

    public init(_ a: AnnotatedSegment) {
        self.init(flags: a.segment.flags, sequence: a.relativeSequence, acknowledgment: a.relativeAcknowledgment,
                  length: a.segment.payloadLength)
    }

    public init(_ s: TimelineSegment) { self.init(s.annotated) }

    /// `[S.]`
    public var flagText: String { "[" + flags.tcpdumpNotation + "]" }

    /// `seq 0 ack 1 len 0`
    public var numbers: String {
        var s = "seq \(sequence)"
        if let acknowledgment { s += " ack \(acknowledgment)" }
        return s + " len \(length)"
    }

    /// `[S.] seq 0 ack 1 len 0`
    public var text: String { flagText + " " + numbers }
}
