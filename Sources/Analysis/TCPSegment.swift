import PacketWire
import TraceModel

/// A TCP segment as analysis sees it: its TCP header, the flow it belongs
/// to, and where it came from. Holds no packet bytes.
///
/// The header is stored whole, so that the per-packet path can decode into
/// one reused segment in place (`load`) instead of copying the header
/// field by field (that copy was a tenth of `analyze`).
public struct TCPSegment: Hashable, Sendable {
    /// 1-based frame number in its capture.
    public var frame: Int
    public var time: Timestamp
    public var flow: DirectedFlow
    /// The decoded header; the fields below read it (change a field here).
    public var header: TCPHeader
    /// The capture cut this segment inside its header.
    public var isTruncated: Bool

    // The header's fields, read as analysis names them.
    public var sequence: SequenceNumber { header.sequence }
    public var acknowledgment: SequenceNumber { header.acknowledgment }
    public var flags: TCPFlags { header.flags }
    /// Raw, unscaled window.
    public var window: UInt16 { header.window }
    public var payloadLength: Int { header.payloadLength }
    public var headerLength: Int { header.headerLength }
    public var options: TCPOptions { header.options }
    /// A malformed header length or option (a cut by the snaplen is `isTruncated`).
    public var headerProblem: DecodeError? { header.problem.flatMap { $0.isTruncated ? nil : $0 } }

    public init(frame: Int, time: Timestamp, flow: DirectedFlow, sequence: SequenceNumber, acknowledgment: SequenceNumber,
                flags: TCPFlags, window: UInt16, payloadLength: Int, headerLength: Int = 20, options: TCPOptions = TCPOptions(),
                isTruncated: Bool = false, headerProblem: DecodeError? = nil) {
        self.frame = frame
        self.time = time
        self.flow = flow
        header = TCPHeader()
        header.sourcePort = flow.source.port
        header.destinationPort = flow.destination.port
        header.sequence = sequence
        header.acknowledgment = acknowledgment
        header.flags = flags
        header.window = window
        header.payloadLength = payloadLength
        header.headerLength = headerLength
        header.options = options
        header.problem = headerProblem
        self.isTruncated = isTruncated
    }

    /// The segment in a decoded packet, if it carries a full TCP header.
    public init?(_ packet: DecodedPacket, frame: Int, time: Timestamp) {
        guard let tcp = packet.tcp, let src = packet.source, let dst = packet.destination else { return nil }
        self.frame = frame
        self.time = time
        flow = DirectedFlow(SocketAddress(src, tcp.sourcePort), SocketAddress(dst, tcp.destinationPort))
        header = tcp
        isTruncated = packet.isTruncated
    }

    /// The segment in a captured packet, if it carries a full TCP header.
    public init?(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, originalLength: Int, frame: Int, time: Timestamp) {
        var s = TCPSegment.empty
        guard s.load(bytes, linkType: linkType, originalLength: originalLength, frame: frame, time: time) else { return nil }
        self = s
    }

    /// A segment of zeros, for `load` to fill.
    public static var empty: TCPSegment {
        let nowhere = SocketAddress(.v4(IPv4Address(0)), 0)
        return TCPSegment(frame: 0, time: Timestamp(nanoseconds: 0), flow: DirectedFlow(nowhere, nowhere),
                          sequence: SequenceNumber(0), acknowledgment: SequenceNumber(0), flags: TCPFlags(rawValue: 0),
                          window: 0, payloadLength: 0)
    }

    /// Becomes the segment in a captured packet, in place; false (and the
    /// segment unspecified) when the packet carries no full TCP header.
    /// `PacketDecoder.decodeTCP` decodes the common case into `header`;
    /// `decode` does the rest.
    public mutating func load(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, originalLength: Int,
                              frame: Int, time: Timestamp) -> Bool {
        if let found = PacketDecoder.decodeTCP(bytes, linkType: linkType, originalLength: originalLength, into: &header) {
            self.frame = frame
            self.time = time
            flow = DirectedFlow(SocketAddress(found.source, header.sourcePort),
                                SocketAddress(found.destination, header.destinationPort))
            isTruncated = found.isTruncated
            return true
        }
        let decoded = PacketDecoder.decode(bytes, linkType: linkType, originalLength: originalLength)
        guard let s = TCPSegment(decoded, frame: frame, time: time) else { return false }
        self = s
        return true
    }

    public var isSYN: Bool { flags.contains(.syn) }
    public var isBareSYN: Bool { flags.contains(.syn) && !flags.contains(.ack) }
    public var isSYNACK: Bool { flags.contains(.syn) && flags.contains(.ack) }
    public var isFIN: Bool { flags.contains(.fin) }
    public var isRST: Bool { flags.contains(.rst) }
    public var hasACK: Bool { flags.contains(.ack) }

    /// Sequence space the segment occupies: payload plus one each for SYN and FIN.
    public var sequenceLength: UInt32 {
        UInt32(truncatingIfNeeded: payloadLength) &+ (isSYN ? 1 : 0) &+ (isFIN ? 1 : 0)
    }

    /// The sequence number after this segment.
    public var nextSequence: SequenceNumber { sequence + sequenceLength }
}
