import PacketWire
import Testing
import TraceModel

@Suite("IPv6")
struct IPv6Tests {
    @Test("plain TCP: every fixed field")
    func plainTCP() throws {
        // Version 6, traffic class 0x12, flow label 0x34567.
        let bytes = Build.ipv6(versionClassFlow: 0x6123_4567, payloadLength: 20, nextHeader: 6, hopLimit: 255) + Fixture.tcpSYN
        let p = decode(bytes, .raw)
        let ip = try #require(p.ipv6)
        #expect(ip.trafficClass == 0x12)
        #expect(ip.flowLabel == 0x34567)
        #expect(ip.payloadLength == 20)
        #expect(ip.nextHeader == 6)
        #expect(ip.hopLimit == 255)
        #expect(ip.source == IPv6Address(high: 0x2001_0db8_0000_0000, low: 1))
        #expect(ip.destination == IPv6Address(high: 0x2001_0db8_0000_0000, low: 2))
        #expect(ip.upperProtocol == 6)
        #expect(ip.headerLength == 40)
        #expect(ip.extensionCount == 0)
        #expect(ip.fragment == nil)
        #expect(!ip.isFragment)
        #expect(ip.isFirstFragment)
        #expect(ip.upperLayerLength == 20)
        #expect(p.source?.description == "2001:db8::1")
        #expect(p.destination?.description == "2001:db8::2")
        #expect(p.tcp?.destinationPort == 80)
        #expect(p.tcp?.optionsOffset == 60)
        #expect(p.problem == nil)
    }

    /// Hop-by-hop (8 bytes) -> destination options (8 bytes) -> routing (24 bytes) -> TCP.
    static let chain: [UInt8] =
        Build.ipv6(payloadLength: 60, nextHeader: 0)
        + Build.ipv6Extension(nextHeader: 60, hdrExtLen: 0, body: [1, 4, 0, 0, 0, 0])           // PadN
        + Build.ipv6Extension(nextHeader: 43, hdrExtLen: 0, body: [1, 4, 0, 0, 0, 0])           // PadN
        + Build.ipv6Extension(nextHeader: 6, hdrExtLen: 2, body: [4, 0, 0, 0, 0, 0] + Build.v6B)  // type 4, 0 left
        + Fixture.tcpSYN

    @Test("hop-by-hop, destination options and routing headers are walked to TCP")
    func extensionChain() throws {
        #expect(Self.chain.count == 100)
        let p = decode(Self.chain, .ipv6)
        let ip = try #require(p.ipv6)
        #expect(ip.nextHeader == 0)
        #expect(ip.upperProtocol == 6)
        #expect(ip.extensionCount == 3)
        #expect(ip.headerLength == 80)
        #expect(ip.upperLayerLength == 20)
        #expect(ip.fragment == nil)
        let tcp = try #require(p.tcp)
        #expect(tcp.sourcePort == 49152)
        #expect(tcp.destinationPort == 80)
        #expect(tcp.optionsOffset == 100)
        #expect(p.problem == nil)
    }

    @Test("the upper-layer protocol after extension headers may be No Next Header (59)")
    func noNextHeader() throws {
        let bytes = Build.ipv6(payloadLength: 8, nextHeader: 60) + Build.ipv6Extension(nextHeader: 59, hdrExtLen: 0, body: [1, 4, 0, 0, 0, 0])
        let p = decode(bytes, .raw)
        #expect(p.ipv6?.upperProtocol == 59)
        #expect(p.ipv6?.extensionCount == 1)
        #expect(p.transport == .other(proto: 59))
        #expect(p.problem == nil)
    }

    @Test("first fragment (offset 0, M=1) decodes the UDP header behind it")
    func firstFragment() throws {
        let bytes = Build.ipv6(payloadLength: 24, nextHeader: 44)
            + Build.ipv6Fragment(nextHeader: 17, offsetFlags: 0x0001, identification: 0xdead_beef)
            + Build.udp(sourcePort: 4500, destinationPort: 4500, length: 16) + [1, 2, 3, 4, 5, 6, 7, 8]
        let p = decode(bytes, .raw)
        let ip = try #require(p.ipv6)
        let frag = try #require(ip.fragment)
        #expect(frag.offset == 0)
        #expect(frag.moreFragments)
        #expect(frag.identification == 0xdead_beef)
        #expect(frag.isFirst)
        #expect(ip.isFragment)
        #expect(ip.isFirstFragment)
        #expect(ip.extensionCount == 1)
        #expect(ip.headerLength == 48)
        #expect(ip.upperProtocol == 17)
        #expect(ip.upperLayerLength == 16)
        #expect(p.udp?.sourcePort == 4500)
        #expect(p.udp?.length == 16)
        #expect(p.problem == nil)
    }

    @Test("first fragment of a larger UDP datagram: the UDP length is not checked against the fragment")
    func firstFragmentOfLargerUDP() throws {
        let bytes = Build.ipv6(payloadLength: 1456, nextHeader: 44)
            + Build.ipv6Fragment(nextHeader: 17, offsetFlags: 0x0001, identification: 9)
            + Build.udp(sourcePort: 5001, destinationPort: 5002, length: 3000)
        let p = decode(bytes, .raw, originalLength: 1496)
        #expect(p.ipv6?.isFragment == true)
        #expect(p.udp?.destinationPort == 5002)
        #expect(p.udp?.length == 3000)
        #expect(p.problem == nil)
    }

    @Test("an atomic fragment (offset 0, M=0) is a whole datagram: its UDP length is checked")
    func atomicFragmentUDPChecked() throws {
        let bytes = Build.ipv6(payloadLength: 16, nextHeader: 44)
            + Build.ipv6Fragment(nextHeader: 17, offsetFlags: 0x0000, identification: 9)
            + Build.udp(sourcePort: 5001, destinationPort: 5002, length: 3000)
        let p = decode(bytes, .raw)
        #expect(p.ipv6?.isFragment == false)
        #expect(p.ipv6?.fragment != nil)
        #expect(p.problem == DecodeError(.malformed, .udp, offset: 52, .udpLengthBeyondPacket, value: 3000))
    }

    @Test("a later fragment has no upper-layer header", arguments: [(UInt16(0x05a8), 1448, false), (0x05a9, 1448, true), (0xfff8, 0xfff8, false)])
    func laterFragment(offsetFlags: UInt16, offset: Int, more: Bool) throws {
        let bytes = Build.ipv6(payloadLength: 16, nextHeader: 44)
            + Build.ipv6Fragment(nextHeader: 17, offsetFlags: offsetFlags, identification: 7)
            + [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        let p = decode(bytes, .raw)
        let ip = try #require(p.ipv6)
        #expect(ip.fragment?.offset == offset)
        #expect(ip.fragment?.moreFragments == more)
        #expect(ip.fragment?.identification == 7)
        #expect(ip.isFragment)
        #expect(!ip.isFirstFragment)
        #expect(ip.upperProtocol == 17)
        #expect(ip.headerLength == 48)
        #expect(p.transport == .fragment(proto: 17))
        #expect(p.problem == nil)
    }

    @Test("a later fragment after a hop-by-hop header")
    func laterFragmentAfterHopByHop() throws {
        let bytes = Build.ipv6(payloadLength: 24, nextHeader: 0)
            + Build.ipv6Extension(nextHeader: 44, hdrExtLen: 0, body: [1, 4, 0, 0, 0, 0])
            + Build.ipv6Fragment(nextHeader: 6, offsetFlags: 0x0010, identification: 1)
            + [0, 0, 0, 0, 0, 0, 0, 0]
        let p = decode(bytes, .raw)
        #expect(p.ipv6?.extensionCount == 2)
        #expect(p.ipv6?.headerLength == 56)
        #expect(p.ipv6?.fragment?.offset == 16)
        #expect(p.transport == .fragment(proto: 6))
    }

    @Test("an extension header running past the payload length is malformed")
    func extensionBeyondPacket() throws {
        // Hop-by-hop says 16 bytes (Hdr Ext Len 1), the payload length only 8.
        let bytes = Build.ipv6(payloadLength: 8, nextHeader: 0)
            + Build.ipv6Extension(nextHeader: 6, hdrExtLen: 1, body: [1, 4, 0, 0, 0, 0])
        let p = decode(bytes, .raw)
        #expect(p.network.isNone)
        #expect(p.problem == DecodeError(.malformed, .ipv6Extension, offset: 40, .extensionHeaderBeyondPacket, value: 16))
        #expect(!p.isTruncated)
    }

    @Test("a second extension header running past the packet is malformed at its own offset")
    func secondExtensionBeyondPacket() throws {
        let bytes = Build.ipv6(payloadLength: 16, nextHeader: 0)
            + Build.ipv6Extension(nextHeader: 43, hdrExtLen: 0, body: [1, 4, 0, 0, 0, 0])
            + Build.ipv6Extension(nextHeader: 6, hdrExtLen: 255, body: [0, 0, 0, 0, 0, 0])
        let p = decode(Build.sll2(protocolType: 0x86dd, interfaceIndex: 1, packetType: 0) + bytes, .linuxSLL2)
        #expect(p.problem == DecodeError(.malformed, .ipv6Extension, offset: 20 + 48, .extensionHeaderBeyondPacket, value: 2048))
    }

    @Test("a fragment header running past the payload length is malformed")
    func fragmentBeyondPacket() throws {
        let bytes = Build.ipv6(payloadLength: 4, nextHeader: 44) + [17, 0, 0, 1]
        let p = decode(bytes, .raw)
        #expect(p.problem == DecodeError(.malformed, .ipv6Extension, offset: 40, .extensionHeaderBeyondPacket, value: 8))
    }

    @Test("payload length beyond the frame, captured whole: malformed")
    func payloadLengthBeyondFrame() throws {
        let bytes = Build.ipv6(payloadLength: 21, nextHeader: 6) + Fixture.tcpSYN
        let p = decode(bytes, .raw)
        #expect(p.network.isNone)
        #expect(p.problem == DecodeError(.malformed, .ipv6, offset: 4, .totalLengthBeyondPacket, value: 21))
    }

    @Test("payload length beyond the capture but not the wire: decoded")
    func payloadLengthBeyondCapture() throws {
        let bytes = Build.ipv6(payloadLength: 1000, nextHeader: 6) + Fixture.tcpSYN
        let p = decode(bytes, .raw, originalLength: 1040)
        #expect(p.ipv6?.payloadLength == 1000)
        #expect(p.tcp?.payloadLength == 980)
        #expect(!p.isTruncated)
        #expect(p.problem == nil)
    }

    @Test("payload length 0 (jumbogram/GSO) is taken from the frame")
    func payloadLengthZero() throws {
        let bytes = Build.ipv6(payloadLength: 0, nextHeader: 6) + Fixture.tcpSYN + [9, 9, 9]
        let p = decode(bytes, .raw)
        #expect(p.ipv6?.payloadLength == 23)
        #expect(p.tcp?.payloadLength == 3)
        let cut = decode(bytes, .raw, originalLength: 9040)
        #expect(cut.ipv6?.payloadLength == 9000)
        #expect(cut.tcp?.payloadLength == 8980)
    }

    @Test("Ethernet padding after a short IPv6 packet is ignored")
    func padding() throws {
        let bytes = Build.ethernet(etherType: 0x86dd) + Fixture.ipv6SYN + [0xff, 0xff, 0xff, 0xff]
        let p = decode(bytes, .ethernet)
        #expect(p.tcp?.payloadLength == 0)
        #expect(p.problem == nil)
    }

    @Test("a version other than 6 in IPv6Header(parsing:) is malformed")
    func badVersion() {
        var bytes = Fixture.ipv6SYN
        bytes[0] = 0x45
        let e = parse(bytes, origin: 4) { r throws(DecodeError) in try IPv6Header(parsing: r, frameLength: 60) }.error
        #expect(e == DecodeError(.malformed, .ipv6, offset: 4, .badVersion, value: 4))
    }
}
