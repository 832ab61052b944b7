import TraceModel

/// The network layer of a decoded packet.
public enum NetworkLayer: Hashable, Sendable {
    case ipv4(IPv4Header)
    case ipv6(IPv6Header)
    /// Not IP: ARP, LLC, another address family.
    case other(NetworkProtocol)
    /// The link header itself could not be decoded, or the link type is unknown.
    case none
}

/// The transport layer of a decoded packet.
public enum TransportLayer: Hashable, Sendable {
    case tcp(TCPHeader)
    case udp(UDPHeader)
    case icmp(ICMPMessage)
    /// A non-first IP fragment: no transport header in it.
    case fragment(proto: UInt8)
    /// A transport header cut by the snaplen before its fixed part ended; the
    /// ports are kept when the first 4 bytes were captured.
    case truncated(proto: UInt8, sourcePort: UInt16?, destinationPort: UInt16?)
    /// Another IP protocol, or a transport header that was malformed.
    case other(proto: UInt8)
    case none
}

/// A packet decoded as far as its bytes allow.
public struct DecodedPacket: Hashable, Sendable {
    public var link: LinkHeader?
    public var network: NetworkLayer = .none
    public var transport: TransportLayer = .none
    /// True when the capture cut the packet inside a header.
    public var isTruncated = false
    /// The first fault met: truncation or a malformed header.
    public var problem: DecodeError?

    public init() {}

    public var source: IPAddress? {
        switch network {
        case .ipv4(let h): .v4(h.source)
        case .ipv6(let h): .v6(h.source)
        default: nil
        }
    }

    public var destination: IPAddress? {
        switch network {
        case .ipv4(let h): .v4(h.destination)
        case .ipv6(let h): .v6(h.destination)
        default: nil
        }
    }

    public var tcp: TCPHeader? {
        if case .tcp(let h) = transport { h } else { nil }
    }

    mutating func record(_ error: DecodeError) {
        if problem == nil { problem = error }
        if error.isTruncated { isTruncated = true }
    }
}

/// Decodes captured packets, from the link layer to the transport header.
///
/// Pure and allocation-free; it never traps, whatever the bytes. A fault
/// stops the walk at the layer where it happens and is kept in `problem`.
public enum PacketDecoder {
    /// IANA protocol numbers.
    public enum Proto {
        public static let icmp: UInt8 = 1
        public static let tcp: UInt8 = 6
        public static let udp: UInt8 = 17
        public static let icmpv6: UInt8 = 58
    }

    /// Decodes one packet. `originalLength` is its length on the wire;
    /// when it exceeds `bytes.count`, running out of bytes is a truncation
    /// rather than a malformed header.
    public static func decode(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, originalLength: Int) -> DecodedPacket {
        var packet = DecodedPacket()
        let wireLength = Swift.max(originalLength, bytes.count)
        let frame = ByteReader(bytes, layer: .ethernet)
        do {
            guard let link = try LinkHeader.parse(frame, linkType: linkType) else { return packet }
            packet.link = link
            let ipBytes = try frame.window(from: link.length, layer: link.next == .ipv6 ? .ipv6 : .ipv4)
            let ipWireLength = wireLength - link.length
            switch link.next {
            case .ipv4:
                let ip = try IPv4Header(parsing: ipBytes, frameLength: ipWireLength)
                packet.network = .ipv4(ip)
                guard ip.isFirstFragment else {
                    packet.transport = .fragment(proto: ip.proto)
                    return packet
                }
                decodeTransport(&packet, ipBytes, offset: ip.headerLength, length: ip.payloadLength, proto: ip.proto,
                                isV6: false, isFragment: ip.isFragment)
            case .ipv6:
                let ip = try IPv6Header(parsing: ipBytes, frameLength: ipWireLength)
                packet.network = .ipv6(ip)
                if let cut = ip.extensionCut {
                    packet.record(cut)
                    // The cut header names another extension header: nothing after it is known.
                    if IPv6Header.isExtension(ip.upperProtocol) { return packet }
                }
                guard ip.isFirstFragment else {
                    packet.transport = .fragment(proto: ip.upperProtocol)
                    return packet
                }
                decodeTransport(&packet, ipBytes, offset: ip.headerLength, length: ip.upperLayerLength, proto: ip.upperProtocol,
                                isV6: true, isFragment: ip.isFragment)
            case let other:
                packet.network = .other(other)
            }
        } catch {
            packet.record(error)
        }
        return packet
    }

    /// Decodes the header at `offset` of `ip`; `length` is what the IP layer
    /// says the transport header and payload take on the wire. In a first
    /// fragment the datagram goes on in later fragments, so the UDP length
    /// is not checked against it.
    static func decodeTransport(_ packet: inout DecodedPacket, _ ip: ByteReader, offset: Int, length: Int, proto: UInt8,
                                isV6: Bool, isFragment: Bool) {
        do {
            switch proto {
            case Proto.tcp:
                let r = try ip.window(from: offset, length: length, layer: .tcp)
                let tcp = try TCPHeader(parsing: r, segmentLength: length)
                packet.transport = .tcp(tcp)
                if let p = tcp.problem { packet.record(p) }
                if tcp.optionsCut { packet.isTruncated = true }
            case Proto.udp:
                let r = try ip.window(from: offset, length: length, layer: .udp)
                packet.transport = .udp(try UDPHeader(parsing: r, available: isFragment ? Int(UInt16.max) : length))
            case Proto.icmp where !isV6, Proto.icmpv6 where isV6:
                let r = try ip.window(from: offset, length: length, layer: isV6 ? .icmpv6 : .icmp)
                packet.transport = .icmp(try ICMPMessage(parsing: r, isV6: isV6))
            default:
                packet.transport = .other(proto: proto)
            }
        } catch {
            var error = error
            if error.isTruncated, ip.count - offset >= length {
                // Every byte the IP layer gave was captured: the header is too long for it.
                let reason: DecodeError.Reason = proto == Proto.udp ? .udpLengthTooSmall : .totalLengthTooSmall
                error = DecodeError(.malformed, error.layer, offset: ip.origin + offset, reason, value: length)
            }
            packet.record(error)
            if error.isTruncated {
                let sport = try? ip.u16(offset)
                let dport = try? ip.u16(offset + 2)
                packet.transport = .truncated(proto: proto, sourcePort: dport == nil ? nil : sport, destinationPort: dport)
            } else {
                packet.transport = .other(proto: proto)
            }
        }
    }
}
