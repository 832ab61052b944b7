import TraceModel

/// A TCP header with the addresses of the IP packet that carried it: what
/// connection tracking needs from a packet.
public struct TCPPacket: Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    public var header: TCPHeader
    /// The capture cut the packet inside its TCP header.
    public var isTruncated: Bool

    public init(source: IPAddress, destination: IPAddress, header: TCPHeader, isTruncated: Bool) {
        self.source = source
        self.destination = destination
        self.header = header
        self.isTruncated = isTruncated
    }
}

extension PacketDecoder {
    /// The common case of `decode`, without building a `DecodedPacket`
    /// (copying its layers cost `analyze` more than decoding them did).
    ///
    /// It runs the same parsers in the same order. It returns a packet only
    /// when `decode` would have found a TCP header with no fault before it:
    /// then the header, addresses and truncation are the ones `decode` gives.
    /// Otherwise (not TCP, a fragment, an IPv6 extension cut, a fault before
    /// the TCP header) it returns nil and the caller asks `decode`.
    public static func decodeTCP(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, originalLength: Int) -> TCPPacket? {
        var header = TCPHeader()
        guard let found = decodeTCP(bytes, linkType: linkType, originalLength: originalLength, into: &header) else { return nil }
        return TCPPacket(source: found.source, destination: found.destination, header: header, isTruncated: found.isTruncated)
    }

    /// `decodeTCP` into a header the caller keeps (the per-packet path
    /// reuses one, so the header is never copied); returns the addresses
    /// and truncation, or nil as `decodeTCP` does, leaving `header` unspecified.
    public static func decodeTCP(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, originalLength: Int,
                                 into header: inout TCPHeader) -> TCPAddresses? {
        let wireLength = Swift.max(originalLength, bytes.count)
        let frame = ByteReader(bytes, layer: .ethernet)
        do {
            guard let (linkLength, next) = try Self.linkLayer(frame, linkType: linkType) else { return nil }
            let ipWireLength = wireLength - linkLength
            switch next {
            case .ipv4:
                let ipBytes = try frame.window(from: linkLength, layer: .ipv4)
                let ip = try IPv4Header(parsing: ipBytes, frameLength: ipWireLength)
                guard ip.proto == Proto.tcp, !ip.isFragment else { return nil }
                let truncated = try tcp(in: ipBytes, offset: ip.headerLength, length: ip.payloadLength, into: &header)
                return TCPAddresses(source: .v4(ip.source), destination: .v4(ip.destination), isTruncated: truncated)
            case .ipv6:
                let ipBytes = try frame.window(from: linkLength, layer: .ipv6)
                let ip = try IPv6Header(parsing: ipBytes, frameLength: ipWireLength)
                guard ip.upperProtocol == Proto.tcp, ip.extensionCut == nil, !ip.isFragment else { return nil }
                let truncated = try tcp(in: ipBytes, offset: ip.headerLength, length: ip.upperLayerLength, into: &header)
                return TCPAddresses(source: .v6(ip.source), destination: .v6(ip.destination), isTruncated: truncated)
            default:
                return nil
            }
        } catch {
            return nil
        }
    }

    /// The link header's length and what it carries, as `LinkHeader.parse`
    /// gives them (nil where it does). An untagged Ethernet
    /// header, the common case, is read here without building a `LinkHeader`.
    @inline(__always)
    static func linkLayer(_ frame: ByteReader, linkType: LinkType) throws(DecodeError) -> (Int, NetworkProtocol)? {
        if linkType == .ethernet, frame.count >= 14 {
            let type = try frame.u16(12)
            if !Ethernet.isTag(type) { return (14, .from(etherType: type)) }
        }
        return try LinkHeader.parse(frame, linkType: linkType).map { ($0.length, $0.next) }
    }

    /// As `decodeTransport` reads a TCP header; a header whose fixed part is
    /// not all there throws (`decode` then has no TCP header either).
    /// Returns whether the packet counts as truncated.
    @inline(__always)
    static func tcp(in ip: ByteReader, offset: Int, length: Int, into header: inout TCPHeader) throws(DecodeError) -> Bool {
        let r = try ip.window(from: offset, length: length, layer: .tcp)
        try header.parse(r, segmentLength: length)
        // decode records the header's problem (a truncation marks the packet) and a cut in the options.
        return (header.problem?.isTruncated ?? false) || header.optionsCut
    }
}

/// What `decodeTCP(_:linkType:originalLength:into:)` finds besides the header.
public struct TCPAddresses: Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    /// The capture cut the packet inside its TCP header.
    public var isTruncated: Bool
}
