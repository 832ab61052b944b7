import TraceModel

/// IPv4 header, RFC 791 §3.1.
public struct IPv4Header: Hashable, Sendable {
    private enum Field {
        static let versionIHL = 0
        static let tos = 1
        static let totalLength = 2
        static let identification = 4
        static let flagsFragment = 6
        static let ttl = 8
        static let proto = 9
        static let checksum = 10
        static let source = 12
        static let destination = 16
        static let minimumLength = 20
    }

    public var headerLength: Int
    public var tos: UInt8
    public var totalLength: Int
    public var identification: UInt16
    public var dontFragment: Bool
    public var moreFragments: Bool
    /// Fragment offset in bytes.
    public var fragmentOffset: Int
    public var ttl: UInt8
    public var proto: UInt8
    public var checksum: UInt16
    public var source: IPv4Address
    public var destination: IPv4Address
    /// True when `totalLength` was 0 (TSO/GSO on the capturing host) and the
    /// packet length was taken from the frame instead, as Wireshark does.
    public var totalLengthFromFrame: Bool

    /// Bytes of transport header and payload (`totalLength - headerLength`).
    public var payloadLength: Int { totalLength - headerLength }
    public var isFragment: Bool { moreFragments || fragmentOffset != 0 }
    public var isFirstFragment: Bool { fragmentOffset == 0 }

    /// Parses an IPv4 header. `frameLength` is how many bytes the packet had
    /// on the wire from this header on (captured or not).
    public init(parsing r: ByteReader, frameLength: Int) throws(DecodeError) {
        let vihl = try r.u8(Field.versionIHL)
        guard vihl >> 4 == 4 else {
            throw DecodeError.malformed(.ipv4, offset: r.origin, .badVersion, value: Int(vihl >> 4))
        }
        headerLength = Int(vihl & 0x0f) * 4
        guard headerLength >= Field.minimumLength else {
            throw DecodeError.malformed(.ipv4, offset: r.origin, .headerLengthTooSmall, value: headerLength)
        }
        guard headerLength <= frameLength else {
            throw DecodeError.malformed(.ipv4, offset: r.origin, .headerLengthBeyondPacket, value: headerLength)
        }
        try r.require(0, headerLength)
        tos = try r.u8(Field.tos)
        var total = Int(try r.u16(Field.totalLength))
        totalLengthFromFrame = total == 0
        if total == 0 { total = frameLength }
        guard total >= headerLength else {
            throw DecodeError.malformed(.ipv4, offset: r.origin + Field.totalLength, .totalLengthTooSmall, value: total)
        }
        guard total <= frameLength else {
            throw DecodeError.malformed(.ipv4, offset: r.origin + Field.totalLength, .totalLengthBeyondPacket, value: total)
        }
        totalLength = total
        identification = try r.u16(Field.identification)
        let ff = try r.u16(Field.flagsFragment)
        dontFragment = ff & 0x4000 != 0
        moreFragments = ff & 0x2000 != 0
        fragmentOffset = Int(ff & 0x1fff) * 8
        ttl = try r.u8(Field.ttl)
        proto = try r.u8(Field.proto)
        checksum = try r.u16(Field.checksum)
        source = IPv4Address(try r.u32(Field.source))
        destination = IPv4Address(try r.u32(Field.destination))
    }
}
