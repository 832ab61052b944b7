import PacketWire
import Testing
import TraceModel

@Suite("Link layers")
struct LinkLayerTests {
    // MARK: Ethernet

    @Test("Ethernet II without a tag")
    func ethernetUntagged() throws {
        let p = decode(Build.ethernet(etherType: 0x0800) + Fixture.ipv4SYN, .ethernet)
        let link = try #require(p.link)
        #expect(link.linkType == .ethernet)
        #expect(link.length == 14)
        #expect(link.next == .ipv4)
        #expect(link.vlanTags.count == 0)
        #expect(link.vlanTags.identifiers == [])
        #expect(link.sllPacketType == nil)
        #expect(link.interfaceIndex == nil)
        #expect(p.ipv4 != nil)
        #expect(p.tcp?.destinationPort == 80)
        #expect(p.problem == nil)
        #expect(!p.isTruncated)
    }

    @Test("Ethernet II carrying IPv6")
    func ethernetIPv6() throws {
        let p = decode(Build.ethernet(etherType: 0x86dd) + Fixture.ipv6SYN, .ethernet)
        #expect(p.link?.next == .ipv6)
        #expect(p.ipv6?.upperProtocol == 6)
        #expect(p.tcp?.sourcePort == 49152)
        #expect(p.problem == nil)
    }

    @Test("one 802.1Q tag: VID is the low 12 bits of the TCI")
    func ethernetOneTag() throws {
        // TCI 0x2064: PCP 1, DEI 0, VID 100.
        let p = decode(Build.ethernet(tags: [(0x8100, 0x2064)], etherType: 0x0800) + Fixture.ipv4SYN, .ethernet)
        let link = try #require(p.link)
        #expect(link.length == 18)
        #expect(link.vlanTags.count == 1)
        #expect(link.vlanTags.outer == 100)
        #expect(link.vlanTags.identifiers == [100])
        #expect(link.vlanTags.extra == 0)
        #expect(link.next == .ipv4)
        #expect(p.tcp?.destinationPort == 80)
        #expect(p.problem == nil)
    }

    @Test("QinQ: an 802.1ad (0x88a8) service tag, then an 802.1Q customer tag")
    func ethernetQinQ() throws {
        let p = decode(Build.ethernet(tags: [(0x88a8, 0x00c8), (0x8100, 0xf064)], etherType: 0x86dd) + Fixture.ipv6SYN, .ethernet)
        let link = try #require(p.link)
        #expect(link.length == 22)
        #expect(link.vlanTags.count == 2)
        #expect(link.vlanTags.identifiers == [200, 100])
        #expect(link.vlanTags.outer == 200)
        #expect(link.vlanTags.inner == 100)
        #expect(link.next == .ipv6)
        #expect(p.tcp?.sourcePort == 49152)
        #expect(p.problem == nil)
    }

    @Test("a third tag (0x9100) is walked and counted, not kept")
    func ethernetThreeTags() throws {
        let p = decode(Build.ethernet(tags: [(0x9100, 10), (0x88a8, 20), (0x8100, 30)], etherType: 0x0800) + Fixture.ipv4SYN, .ethernet)
        let link = try #require(p.link)
        #expect(link.length == 26)
        #expect(link.vlanTags.identifiers == [10, 20])
        #expect(link.vlanTags.extra == 1)
        #expect(p.tcp != nil)
    }

    @Test("non-IP EtherTypes stop at the link layer", arguments: [
        (UInt16(0x0806), "ARP"), (0x88cc, "LLDP"), (0x8035, "RARP"), (0x002e, "802.3 length field"),
    ])
    func ethernetNonIP(etherType: UInt16, name: String) throws {
        // An ARP request body follows; it must not be read as IP.
        let arp: [UInt8] = [0, 1, 8, 0, 6, 4, 0, 1] + Build.macA + Build.v4A + [0, 0, 0, 0, 0, 0] + Build.v4B
        let p = decode(Build.ethernet(etherType: etherType) + arp, .ethernet)
        let link = try #require(p.link)
        #expect(link.next == .etherType(etherType))
        #expect(p.network == .other(.etherType(etherType)))
        #expect(p.transport.isNone)
        #expect(p.problem == nil)
        #expect(!p.isTruncated)
        #expect(p.source == nil && p.destination == nil && p.tcp == nil)
    }

    @Test("an Ethernet frame that ends right after the EtherType decodes the link only")
    func ethernetNoPayload() throws {
        let p = decode(Build.ethernet(etherType: 0x0806), .ethernet)
        #expect(p.link?.next == .etherType(0x0806))
        #expect(p.problem == nil)
    }

    // MARK: Linux cooked capture

    @Test("SLL v1: packet type, protocol")
    func sllV1() throws {
        let p = decode(Build.sll(packetType: 4, protocolType: 0x0800) + Fixture.ipv4SYN, .linuxSLL)
        let link = try #require(p.link)
        #expect(link.linkType == .linuxSLL)
        #expect(link.length == 16)
        #expect(link.next == .ipv4)
        #expect(link.sllPacketType == 4)
        #expect(link.interfaceIndex == nil)
        #expect(p.tcp?.destinationPort == 80)
        #expect(p.problem == nil)
    }

    @Test("SLL v1 with a non-IP protocol")
    func sllV1NonIP() throws {
        let p = decode(Build.sll(packetType: 0, protocolType: 0x0806) + [0, 1, 8, 0], .linuxSLL)
        #expect(p.link?.next == .etherType(0x0806))
        #expect(p.link?.sllPacketType == 0)
        #expect(p.network == .other(.etherType(0x0806)))
        #expect(p.problem == nil)
    }

    @Test("SLL2: protocol, interface index, packet type")
    func sllV2() throws {
        let p = decode(Build.sll2(protocolType: 0x86dd, interfaceIndex: 0x0102_0304, packetType: 4) + Fixture.ipv6SYN, .linuxSLL2)
        let link = try #require(p.link)
        #expect(link.linkType == .linuxSLL2)
        #expect(link.length == 20)
        #expect(link.next == .ipv6)
        #expect(link.interfaceIndex == 0x0102_0304)
        #expect(link.sllPacketType == 4)
        #expect(p.tcp?.sourcePort == 49152)
        #expect(p.problem == nil)
    }

    // MARK: BSD loopback

    /// AF values as written by the capturing host, and what they mean.
    static let nullFamilies: [(bytes: [UInt8], next: NetworkProtocol, note: String)] = [
        (le32(2), .ipv4, "AF_INET little-endian"),
        (be32(2), .ipv4, "AF_INET big-endian"),
        (le32(10), .ipv6, "AF_INET6 Linux LE"),
        (be32(10), .ipv6, "AF_INET6 Linux BE"),
        (le32(23), .ipv6, "AF_INET6 Windows LE"),
        (le32(24), .ipv6, "AF_INET6 Net/OpenBSD LE"),
        (be32(24), .ipv6, "AF_INET6 Net/OpenBSD BE"),
        (le32(28), .ipv6, "AF_INET6 FreeBSD LE"),
        (be32(28), .ipv6, "AF_INET6 FreeBSD BE"),
        (le32(30), .ipv6, "AF_INET6 Darwin LE"),
        (be32(30), .ipv6, "AF_INET6 Darwin BE"),
        (le32(7), .addressFamily(7), "AF 7 LE"),
        (be32(7), .addressFamily(7), "AF 7 BE"),
    ]

    @Test("NULL: the address family in either byte order", arguments: nullFamilies)
    func null(bytes: [UInt8], next: NetworkProtocol, note: String) throws {
        let body = next == .ipv6 ? Fixture.ipv6SYN : Fixture.ipv4SYN
        let p = decode(bytes + body, .null)
        let link = try #require(p.link)
        #expect(link.linkType == .null)
        #expect(link.length == 4)
        #expect(link.next == next)
        switch next {
        case .ipv4: #expect(p.ipv4 != nil && p.tcp != nil)
        case .ipv6: #expect(p.ipv6 != nil && p.tcp != nil)
        default:
            #expect(p.network == .other(next))
            #expect(p.transport.isNone)
        }
        #expect(p.problem == nil)
    }

    static let loopFamilies: [(bytes: [UInt8], next: NetworkProtocol)] = [
        (be32(2), .ipv4),
        (be32(24), .ipv6),
        (be32(28), .ipv6),
        (be32(30), .ipv6),
        // LOOP is always network order: a little-endian AF_INET is another family.
        (le32(2), .addressFamily(0x0200_0000)),
    ]

    @Test("LOOP: the address family in network order", arguments: loopFamilies)
    func loop(bytes: [UInt8], next: NetworkProtocol) throws {
        let body = next == .ipv6 ? Fixture.ipv6SYN : Fixture.ipv4SYN
        let p = decode(bytes + body, .loop)
        let link = try #require(p.link)
        #expect(link.linkType == .loop)
        #expect(link.length == 4)
        #expect(link.next == next)
        if next == .ipv4 || next == .ipv6 { #expect(p.tcp?.destinationPort == 80) }
        #expect(p.problem == nil)
    }

    // MARK: Raw IP

    static let rawLinkTypes: [LinkType] = [.raw, LinkType(rawValue: 12), LinkType(rawValue: 14)]

    @Test("RAW: the version nibble picks IPv4 or IPv6", arguments: rawLinkTypes)
    func raw(linkType: LinkType) throws {
        let p4 = decode(Fixture.ipv4SYN, linkType)
        #expect(p4.link?.linkType == linkType)
        #expect(p4.link?.length == 0)
        #expect(p4.link?.next == .ipv4)
        #expect(p4.tcp?.destinationPort == 80)
        #expect(p4.problem == nil)

        let p6 = decode(Fixture.ipv6SYN, linkType)
        #expect(p6.link?.next == .ipv6)
        #expect(p6.tcp?.destinationPort == 80)
        #expect(p6.problem == nil)
    }

    @Test("RAW with a version nibble that is neither 4 nor 6 is malformed", arguments: [UInt8(0x0), 0x1, 0x5, 0x7, 0xf])
    func rawBadVersion(nibble: UInt8) throws {
        var bytes = Fixture.ipv4SYN
        bytes[0] = nibble << 4 | 0x5
        let p = decode(bytes, .raw)
        #expect(p.link == nil)
        #expect(p.network.isNone)
        #expect(p.problem == DecodeError(.malformed, .ipv4, offset: 0, .badVersion, value: Int(nibble)))
        #expect(!p.isTruncated)
    }

    @Test("RAW with no bytes at all is truncated")
    func rawEmpty() {
        let p = decode([], .raw, originalLength: 40)
        #expect(p.link == nil)
        #expect(p.isTruncated)
        #expect(p.problem?.kind == .truncated)
    }

    @Test("LINKTYPE_IPV4 and LINKTYPE_IPV6 have no link header")
    func ipv4ipv6LinkTypes() throws {
        let p4 = decode(Fixture.ipv4SYN, .ipv4)
        #expect(p4.link == LinkHeader(linkType: .ipv4, length: 0, next: .ipv4))
        #expect(p4.tcp != nil)
        let p6 = decode(Fixture.ipv6SYN, .ipv6)
        #expect(p6.link == LinkHeader(linkType: .ipv6, length: 0, next: .ipv6))
        #expect(p6.tcp != nil)
    }

    @Test("LINKTYPE_IPV4 does not look at the version nibble: an IPv6 packet is a bad IPv4 version")
    func ipv4LinkTypeWithIPv6() throws {
        let p = decode(Fixture.ipv6SYN, .ipv4)
        #expect(p.link?.next == .ipv4)
        #expect(p.network.isNone)
        #expect(p.problem == DecodeError(.malformed, .ipv4, offset: 0, .badVersion, value: 6))
    }

    @Test("LINKTYPE_IPV6 with an IPv4 packet is a bad IPv6 version")
    func ipv6LinkTypeWithIPv4() throws {
        let p = decode(Fixture.ipv4SYN, .ipv6)
        #expect(p.link?.next == .ipv6)
        #expect(p.network.isNone)
        #expect(p.problem == DecodeError(.malformed, .ipv6, offset: 0, .badVersion, value: 4))
    }

    // MARK: Unknown link types

    static let unsupported: [LinkType] = [LinkType(rawValue: 105), LinkType(rawValue: 127), LinkType(rawValue: 147),
                                          LinkType(rawValue: 2), LinkType(rawValue: 0xffff_ffff)]

    @Test("an unknown link type decodes to nothing, without a problem", arguments: unsupported)
    func unknownLinkType(linkType: LinkType) {
        let p = decode(Build.ethernet(etherType: 0x0800) + Fixture.ipv4SYN, linkType)
        #expect(p == DecodedPacket())
        #expect(p.link == nil)
        #expect(p.network.isNone)
        #expect(p.transport.isNone)
        #expect(p.problem == nil)
        #expect(!p.isTruncated)
        #expect(!LinkHeader.isSupported(linkType))
    }

    static let supported: [LinkType] = [.null, .ethernet, .raw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2,
                                        LinkType(rawValue: 12), LinkType(rawValue: 14)]

    @Test("isSupported names exactly the link types parse decodes", arguments: supported)
    func supportedLinkTypes(linkType: LinkType) {
        #expect(LinkHeader.isSupported(linkType))
    }

    @Test("VLANTags keeps two identifiers inline")
    func vlanTagsValue() {
        let empty = VLANTags()
        #expect(empty.count == 0 && empty.identifiers.isEmpty && empty.extra == 0)
    }
}
