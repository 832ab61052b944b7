/// TCP header, RFC 9293 §3.1.
public struct TCPHeader: Hashable, Sendable {
    private enum Field {
        static let sourcePort = 0
        static let destinationPort = 2
        static let sequence = 4
        static let acknowledgment = 8
        static let dataOffsetFlags = 12
        static let window = 14
        static let checksum = 16
        static let urgentPointer = 18
        static let minimumLength = 20
    }

    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequence: SequenceNumber
    /// The raw acknowledgment field, meaningful only when `flags` has ACK.
    public var acknowledgment: SequenceNumber
    /// Header length in bytes (data offset × 4).
    public var headerLength: Int
    public var flags: TCPFlags
    /// The raw, unscaled window.
    public var window: UInt16
    public var checksum: UInt16
    public var urgentPointer: UInt16
    public var options: TCPOptions
    /// Payload bytes on the wire: the IP-given segment length less the header.
    public var payloadLength: Int
    /// Absolute packet offset of the first option byte.
    public var optionsOffset: Int
    /// A malformed header length or option, or options cut by the snaplen.
    /// Fields before the fault are kept.
    public var problem: DecodeError?
    /// The capture cut the options (also when `problem` holds an earlier fault).
    public var optionsCut = false

    /// Parses a TCP header. `segmentLength` is the TCP length the IP layer
    /// gives (header and payload), whether or not it was all captured.
    ///
    /// Throws only when the 20-byte fixed header is not all there; a bad
    /// data offset or option is kept in `problem` instead.
    public init(parsing r: ByteReader, segmentLength: Int) throws(DecodeError) {
        self.init()
        try parse(r, segmentLength: segmentLength)
    }

    /// A header of zeros, to be filled by `parse`.
    public init() {
        sourcePort = 0
        destinationPort = 0
        sequence = SequenceNumber(0)
        acknowledgment = SequenceNumber(0)
        headerLength = 0
        flags = TCPFlags(rawValue: 0)
        window = 0
        checksum = 0
        urgentPointer = 0
        options = TCPOptions()
        payloadLength = 0
        optionsOffset = 0
        problem = nil
    }

    /// `init(parsing:segmentLength:)` in place: every field is set, none is
    /// copied afterwards (the per-packet path reuses one header). After a
    /// throw the fields are unspecified.
    public mutating func parse(_ r: ByteReader, segmentLength: Int) throws(DecodeError) {
        try r.require(0, Field.minimumLength)
        sourcePort = try r.u16(Field.sourcePort)
        destinationPort = try r.u16(Field.destinationPort)
        sequence = SequenceNumber(try r.u32(Field.sequence))
        acknowledgment = SequenceNumber(try r.u32(Field.acknowledgment))
        let offsetFlags = try r.u16(Field.dataOffsetFlags)
        headerLength = Int(offsetFlags >> 12) * 4
        flags = TCPFlags(rawValue: offsetFlags & 0x01ff)
        window = try r.u16(Field.window)
        checksum = try r.u16(Field.checksum)
        urgentPointer = try r.u16(Field.urgentPointer)
        optionsOffset = r.origin + Field.minimumLength
        payloadLength = 0
        problem = nil
        optionsCut = false

        guard segmentLength >= Field.minimumLength, headerLength >= Field.minimumLength, headerLength <= segmentLength else {
            options = TCPOptions()
            problem = lengthProblem(r, segmentLength: segmentLength)
            return
        }
        payloadLength = segmentLength - headerLength
        let optionBytes = try r.window(from: Field.minimumLength, length: headerLength - Field.minimumLength, layer: .tcpOption)
        if headerLength == Field.minimumLength + 12, optionBytes.count == 12,
           try optionBytes.u32(0) == 0x0101_080a {
            // NOP, NOP, Timestamps: what Linux puts on every segment after the
            // handshake (RFC 7323 Appendix A's layout). What the walk below gives for these bytes.
            options = TCPOptions()
            options.timestampValue = try optionBytes.u32(4)
            options.timestampEchoReply = try optionBytes.u32(8)
            options.count = 3
            return
        }
        var iterator = TCPOptionIterator(optionBytes, declaredLength: headerLength - Field.minimumLength)
        options.collect(&iterator)
        problem = iterator.error
        optionsCut = iterator.wasCut
    }

    /// The fault of a segment or data-offset length that leaves no room for the header.
    private func lengthProblem(_ r: ByteReader, segmentLength: Int) -> DecodeError {
        if segmentLength < Field.minimumLength {
            return .malformed(.tcp, offset: r.origin, .totalLengthTooSmall, value: segmentLength)
        } else if headerLength < Field.minimumLength {
            return .malformed(.tcp, offset: r.origin + Field.dataOffsetFlags, .dataOffsetTooSmall, value: headerLength)
        }
        return .malformed(.tcp, offset: r.origin + Field.dataOffsetFlags, .dataOffsetBeyondSegment, value: headerLength)
    }
}

extension TCPHeader {
    /// Walks this header's options again, in order, over the packet's bytes.
    public func optionIterator(in packet: UnsafeRawBufferPointer) -> TCPOptionIterator {
        let declared = max(headerLength - 20, 0)
        let start = min(max(optionsOffset, 0), packet.count)
        let end = min(start + declared, packet.count)
        let window = UnsafeRawBufferPointer(rebasing: packet[start..<end])
        return TCPOptionIterator(ByteReader(window, origin: start, layer: .tcpOption), declaredLength: declared)
    }
}
