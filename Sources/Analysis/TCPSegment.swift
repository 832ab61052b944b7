import PacketWire
import TraceModel

/// A TCP segment as analysis sees it: the decoded fields it needs, and where
/// it came from. Holds no packet bytes.
public struct TCPSegment: Hashable, Sendable {
    /// 1-based frame number in its capture.
    public var frame: Int
    public var time: Timestamp
    public var flow: DirectedFlow
    public var sequence: SequenceNumber
    public var acknowledgment: SequenceNumber
    public var flags: TCPFlags
    /// Raw, unscaled window.
    public var window: UInt16
    public var payloadLength: Int
    public var headerLength: Int
    public var options: TCPOptions
    /// The capture cut this segment inside its header.
    public var isTruncated: Bool
    /// A malformed header length or option.
    public var headerProblem: DecodeError?

    public init(frame: Int, time: Timestamp, flow: DirectedFlow, sequence: SequenceNumber, acknowledgment: SequenceNumber,
                flags: TCPFlags, window: UInt16, payloadLength: Int, headerLength: Int = 20, options: TCPOptions = TCPOptions(),
                isTruncated: Bool = false, headerProblem: DecodeError? = nil) {
        self.frame = frame
        self.time = time
        self.flow = flow
        self.sequence = sequence
        self.acknowledgment = acknowledgment
        self.flags = flags
        self.window = window
        self.payloadLength = payloadLength
        self.headerLength = headerLength
        self.options = options
        self.isTruncated = isTruncated
        self.headerProblem = headerProblem
    }

    /// The segment in a decoded packet, if it carries a full TCP header.
    public init?(_ packet: DecodedPacket, frame: Int, time: Timestamp) {
        guard let tcp = packet.tcp, let src = packet.source, let dst = packet.destination else { return nil }
        self.init(TCPPacket(source: src, destination: dst, header: tcp, isTruncated: packet.isTruncated), frame: frame, time: time)
    }

    /// The segment in a captured packet, if it carries a full TCP header:
    /// `PacketDecoder.decodeTCP` for the common case, `decode` for the rest.
    public init?(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, originalLength: Int, frame: Int, time: Timestamp) {
        if let p = PacketDecoder.decodeTCP(bytes, linkType: linkType, originalLength: originalLength) {
            self.init(p, frame: frame, time: time)
        } else {
            self.init(PacketDecoder.decode(bytes, linkType: linkType, originalLength: originalLength), frame: frame, time: time)
        }
    }

    init(_ p: TCPPacket, frame: Int, time: Timestamp) {
        let tcp = p.header
        let problem = tcp.problem.flatMap { $0.isTruncated ? nil : $0 }
        self.init(frame: frame, time: time,
                  flow: DirectedFlow(SocketAddress(p.source, tcp.sourcePort), SocketAddress(p.destination, tcp.destinationPort)),
                  sequence: tcp.sequence, acknowledgment: tcp.acknowledgment, flags: tcp.flags, window: tcp.window,
                  payloadLength: tcp.payloadLength, headerLength: tcp.headerLength, options: tcp.options,
                  isTruncated: p.isTruncated, headerProblem: problem)
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
