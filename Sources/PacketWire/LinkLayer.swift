import TraceModel

/// What a link-layer header says comes next.
public enum NetworkProtocol: Hashable, Sendable {
    case ipv4
    case ipv6
    /// Another EtherType (ARP is 0x0806), or an 802.3 length field / LLC frame.
    case etherType(UInt16)
    /// A BSD loopback address family that is neither IPv4 nor IPv6.
    case addressFamily(UInt32)

    /// IEEE EtherType numbers.
    public static let etherTypeIPv4: UInt16 = 0x0800
    public static let etherTypeIPv6: UInt16 = 0x86dd
    public static let etherTypeARP: UInt16 = 0x0806

    static func from(etherType: UInt16) -> NetworkProtocol {
        switch etherType {
        case etherTypeIPv4: .ipv4
        case etherTypeIPv6: .ipv6
        default: .etherType(etherType)
        }
    }
}

/// Up to two 802.1Q/802.1ad tags, outermost first, stored inline (no heap).
public struct VLANTags: Hashable, Sendable {
    public private(set) var count = 0
    public private(set) var outer: UInt16 = 0
    public private(set) var inner: UInt16 = 0
    /// Tags beyond the second, which are walked but not kept.
    public private(set) var extra = 0

    public init() {}

    mutating func append(_ vid: UInt16) {
        switch count {
        case 0: outer = vid; count = 1
        case 1: inner = vid; count = 2
        default: extra += 1
        }
    }

    /// VLAN identifiers, outermost first.
    public var identifiers: [UInt16] {
        switch count {
        case 0: []
        case 1: [outer]
        default: [outer, inner]
        }
    }
}

/// A decoded link-layer header.
public struct LinkHeader: Hashable, Sendable {
    public var linkType: LinkType
    /// Bytes before the network-layer header.
    public var length: Int
    public var next: NetworkProtocol
    public var vlanTags = VLANTags()
    /// Linux cooked capture packet type (0 to us, 4 outgoing, …).
    public var sllPacketType: UInt8?
    /// Linux cooked capture v2 interface index.
    public var interfaceIndex: UInt32?

    public init(linkType: LinkType, length: Int, next: NetworkProtocol) {
        self.linkType = linkType
        self.length = length
        self.next = next
    }

    /// Whether synscope can decode this link type at all.
    public static func isSupported(_ linkType: LinkType) -> Bool {
        switch linkType {
        case .ethernet, .linuxSLL, .linuxSLL2, .null, .loop, .raw, .ipv4, .ipv6: true
        default: linkType.rawValue == 12 || linkType.rawValue == 14
        }
    }

    /// Decodes the link-layer header of `linkType`.
    ///
    /// Returns nil for a link type synscope does not decode.
    public static func parse(_ r: ByteReader, linkType: LinkType) throws(DecodeError) -> LinkHeader? {
        switch linkType {
        case .ethernet: return try Ethernet.parse(r)
        case .linuxSLL: return try LinuxSLL.parseV1(r)
        case .linuxSLL2: return try LinuxSLL.parseV2(r)
        case .null: return try Loopback.parse(r, linkType: linkType, networkOrder: false)
        case .loop: return try Loopback.parse(r, linkType: linkType, networkOrder: true)
        case .ipv4: return LinkHeader(linkType: linkType, length: 0, next: .ipv4)
        case .ipv6: return LinkHeader(linkType: linkType, length: 0, next: .ipv6)
        default:
            // DLT_RAW is 101 in files, but 12 or 14 on some BSDs (pcap-common.c).
            guard linkType == .raw || linkType.rawValue == 12 || linkType.rawValue == 14 else { return nil }
            let version = try r.u8(0) >> 4
            switch version {
            case 4: return LinkHeader(linkType: linkType, length: 0, next: .ipv4)
            case 6: return LinkHeader(linkType: linkType, length: 0, next: .ipv6)
            default: throw DecodeError.malformed(.ipv4, offset: r.origin, .badVersion, value: Int(version))
            }
        }
    }
}

/// Ethernet II with 802.1Q / 802.1ad tags (IEEE 802.3, 802.1Q).
enum Ethernet {
    private enum Field {
        static let etherType = 12
        static let headerLength = 14
        static let tagLength = 4
    }

    static func isTag(_ t: UInt16) -> Bool { t == 0x8100 || t == 0x88a8 || t == 0x9100 }

    static func parse(_ r: ByteReader) throws(DecodeError) -> LinkHeader {
        try r.require(0, Field.headerLength)
        var offset = Field.etherType
        var type = try r.u16(offset)
        var tags = VLANTags()
        while isTag(type) {
            let tci = try ByteReader(readerFor: r, layer: .vlan).u16(offset + 2)
            tags.append(tci & 0x0fff)
            offset += Field.tagLength
            type = try ByteReader(readerFor: r, layer: .vlan).u16(offset)
        }
        var header = LinkHeader(linkType: .ethernet, length: offset + 2, next: .from(etherType: type))
        header.vlanTags = tags
        return header
    }
}

extension ByteReader {
    /// The same window, with errors attributed to another layer.
    init(readerFor r: ByteReader, layer: Layer) {
        self.init(r.base, origin: r.origin, layer: layer)
    }
}

/// Linux cooked captures (tcpdump.org LINKTYPE_LINUX_SLL and LINKTYPE_LINUX_SLL2).
enum LinuxSLL {
    private enum V1 {
        static let packetType = 0
        static let protocolType = 14
        static let length = 16
    }

    private enum V2 {
        static let protocolType = 0
        static let interfaceIndex = 4
        static let packetType = 10
        static let length = 20
    }

    static func parseV1(_ frame: ByteReader) throws(DecodeError) -> LinkHeader {
        let r = ByteReader(readerFor: frame, layer: .linuxSLL)
        try r.require(0, V1.length)
        var h = LinkHeader(linkType: .linuxSLL, length: V1.length, next: .from(etherType: try r.u16(V1.protocolType)))
        h.sllPacketType = UInt8(truncatingIfNeeded: try r.u16(V1.packetType))
        return h
    }

    static func parseV2(_ frame: ByteReader) throws(DecodeError) -> LinkHeader {
        let r = ByteReader(readerFor: frame, layer: .linuxSLL2)
        try r.require(0, V2.length)
        var h = LinkHeader(linkType: .linuxSLL2, length: V2.length, next: .from(etherType: try r.u16(V2.protocolType)))
        h.interfaceIndex = try r.u32(V2.interfaceIndex)
        h.sllPacketType = try r.u8(V2.packetType)
        return h
    }
}

/// BSD loopback encapsulation: a 4-byte address family (LINKTYPE_NULL in the
/// capturing host's byte order, LINKTYPE_LOOP in network order).
enum Loopback {
    /// AF_INET is 2 everywhere; AF_INET6 differs by OS (tcpdump.org LINKTYPE_NULL).
    static let inet: UInt32 = 2
    static func isInet6(_ family: UInt32) -> Bool {
        switch family {
        case 10, 23, 24, 28, 30: true  // Linux, Windows, Net/OpenBSD, FreeBSD, Darwin
        default: false
        }
    }

    static func parse(_ r: ByteReader, linkType: LinkType, networkOrder: Bool) throws(DecodeError) -> LinkHeader {
        let reader = ByteReader(readerFor: r, layer: .loopback)
        var family = networkOrder ? try reader.u32(0) : try reader.u32LE(0)
        // Like libpcap, take a value with high bits set as written in the other byte order.
        if !networkOrder && family & 0xffff_0000 != 0 { family = family.byteSwapped }
        let next: NetworkProtocol
        if family == inet {
            next = .ipv4
        } else if isInet6(family) {
            next = .ipv6
        } else {
            next = .addressFamily(family)
        }
        return LinkHeader(linkType: linkType, length: 4, next: next)
    }
}
