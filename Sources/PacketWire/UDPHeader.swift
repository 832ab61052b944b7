/// UDP header, RFC 768.
public struct UDPHeader: Hashable, Sendable {
    private enum Field {
        static let sourcePort = 0
        static let destinationPort = 2
        static let length = 4
        static let checksum = 6
        static let headerLength = 8
    }

    public static let headerLength = Field.headerLength

    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// The UDP length field (header and payload).
    public var length: Int
    public var checksum: UInt16
    public var payloadLength: Int { length - Field.headerLength }

    /// `available` is the IP-given length of the UDP datagram.
    public init(parsing r: ByteReader, available: Int) throws(DecodeError) {
        try r.require(0, Field.headerLength)
        sourcePort = try r.u16(Field.sourcePort)
        destinationPort = try r.u16(Field.destinationPort)
        length = Int(try r.u16(Field.length))
        checksum = try r.u16(Field.checksum)
        guard length >= Field.headerLength else {
            throw DecodeError.malformed(.udp, offset: r.origin + Field.length, .udpLengthTooSmall, value: length)
        }
        guard length <= available else {
            throw DecodeError.malformed(.udp, offset: r.origin + Field.length, .udpLengthBeyondPacket, value: length)
        }
    }
}
