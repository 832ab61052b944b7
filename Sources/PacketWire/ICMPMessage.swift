import TraceModel

/// An ICMP (RFC 792) or ICMPv6 (RFC 4443) message: type, code, and for
/// error messages the start of the datagram that caused it.
public struct ICMPMessage: Hashable, Sendable {
    private enum Field {
        static let type = 0
        static let code = 1
        static let checksum = 2
        static let rest = 4
        static let quoted = 8
    }

    public var isV6: Bool
    public var type: UInt8
    public var code: UInt8
    public var checksum: UInt16
    /// The 4 bytes after the checksum (identifier and sequence for echo,
    /// MTU for packet-too-big, unused for most errors).
    public var rest: UInt32
    /// The quoted datagram of an error message, when it could be read.
    public var quoted: QuotedDatagram?

    /// ICMPv4 destination unreachable, source quench, redirect, time
    /// exceeded and parameter problem quote the offending datagram.
    public var isError: Bool {
        if isV6 { return type < 128 }
        switch type {
        case 3, 4, 5, 11, 12: return true
        default: return false
        }
    }

    public init(parsing r: ByteReader, isV6: Bool) throws(DecodeError) {
        self.isV6 = isV6
        try r.require(0, Field.quoted)
        type = try r.u8(Field.type)
        code = try r.u8(Field.code)
        checksum = try r.u16(Field.checksum)
        rest = try r.u32(Field.rest)
        quoted = nil
        if isError, r.count > Field.quoted {
            // A quote too short to hold an IP header is left out, not an error.
            quoted = try? QuotedDatagram(parsing: r.window(from: Field.quoted, layer: .quotedIP))
        }
    }
}

/// The IP header and first 8 transport bytes quoted in an ICMP error
/// (RFC 792; RFC 1812 §4.3.2.3; RFC 4443 §2.4(c)). The quote may be cut, so
/// lengths in it are not checked against what follows.
public struct QuotedDatagram: Hashable, Sendable {
    public var proto: UInt8
    public var source: IPAddress
    public var destination: IPAddress
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?

    public init(parsing r: ByteReader) throws(DecodeError) {
        let version = try r.u8(0) >> 4
        let transportOffset: Int
        switch version {
        case 4:
            let ihl = Int(try r.u8(0) & 0x0f) * 4
            guard ihl >= 20 else {
                throw DecodeError.malformed(.quotedIP, offset: r.origin, .headerLengthTooSmall, value: ihl)
            }
            proto = try r.u8(9)
            source = .v4(IPv4Address(try r.u32(12)))
            destination = .v4(IPv4Address(try r.u32(16)))
            // A later fragment quotes no transport header.
            transportOffset = try r.u16(6) & 0x1fff == 0 ? ihl : -1
        case 6:
            proto = try r.u8(6)
            source = .v6(IPv6Address(high: try r.u64(8), low: try r.u64(16)))
            destination = .v6(IPv6Address(high: try r.u64(24), low: try r.u64(32)))
            transportOffset = 40
        default:
            throw DecodeError.malformed(.quotedIP, offset: r.origin, .badVersion, value: Int(version))
        }
        if transportOffset >= 0, (try? r.require(transportOffset, 4)) != nil, proto == 6 || proto == 17 || proto == 132 {
            sourcePort = try r.u16(transportOffset)
            destinationPort = try r.u16(transportOffset + 2)
        }
    }
}
