import PacketWire
import Testing
import TraceModel

@Suite("IPv4")
struct IPv4Tests {
    @Test("every fixed field")
    func fields() throws {
        let bytes = Build.ipv4(versionIHL: 0x45, tos: 0xb8, totalLength: 40, identification: 0xabcd, flagsFragment: 0x4000,
                               ttl: 57, proto: 6, checksum: 0x1234, source: [10, 1, 2, 3], destination: [172, 16, 254, 1])
            + Fixture.tcpSYN
        let p = decode(bytes, .raw)
        let ip = try #require(p.ipv4)
        #expect(ip.headerLength == 20)
        #expect(ip.tos == 0xb8)
        #expect(ip.totalLength == 40)
        #expect(ip.identification == 0xabcd)
        #expect(ip.dontFragment)
        #expect(!ip.moreFragments)
        #expect(ip.fragmentOffset == 0)
        #expect(!ip.isFragment)
        #expect(ip.isFirstFragment)
        #expect(ip.ttl == 57)
        #expect(ip.proto == 6)
        #expect(ip.checksum == 0x1234)
        #expect(ip.source == IPv4Address(10, 1, 2, 3))
        #expect(ip.destination == IPv4Address(172, 16, 254, 1))
        #expect(!ip.totalLengthFromFrame)
        #expect(ip.payloadLength == 20)
        #expect(p.source == .v4(IPv4Address(10, 1, 2, 3)))
        #expect(p.destination == .v4(IPv4Address(172, 16, 254, 1)))
        #expect(p.problem == nil)
    }

    @Test("IHL below 5 is malformed", arguments: [UInt8(0), 1, 2, 3, 4])
    func ihlTooSmall(ihl: UInt8) throws {
        let bytes = Build.ipv4(versionIHL: 0x40 | ihl, totalLength: 40, proto: 6) + Fixture.tcpSYN
        let p = decode(bytes, .raw)
        #expect(p.link != nil)
        #expect(p.network.isNone)
        #expect(p.problem == DecodeError(.malformed, .ipv4, offset: 0, .headerLengthTooSmall, value: Int(ihl) * 4))
        #expect(!p.isTruncated)
    }

    @Test("errors report absolute packet offsets (after a 14-byte Ethernet header)")
    func absoluteOffsets() throws {
        let bytes = Build.ethernet(etherType: 0x0800) + Build.ipv4(versionIHL: 0x44, totalLength: 40, proto: 6) + Fixture.tcpSYN
        #expect(decode(bytes, .ethernet).problem == DecodeError(.malformed, .ipv4, offset: 14, .headerLengthTooSmall, value: 16))
    }

    @Test("IHL with options: the transport header starts after them")
    func ihlWithOptions() throws {
        // IHL 6: one 4-byte option word (NOP NOP NOP EOL).
        let bytes = Build.ipv4(versionIHL: 0x46, totalLength: 44, proto: 6, options: [1, 1, 1, 0]) + Fixture.tcpSYN
        let p = decode(bytes, .raw)
        #expect(p.ipv4?.headerLength == 24)
        #expect(p.ipv4?.payloadLength == 20)
        #expect(p.tcp?.sourcePort == 49152)
        #expect(p.tcp?.optionsOffset == 44)
        #expect(p.problem == nil)
    }

    @Test("IHL beyond the whole packet is malformed")
    func ihlBeyondPacket() throws {
        // IHL 15 = 60 bytes, in a 40-byte packet that was captured whole.
        let bytes = Build.ipv4(versionIHL: 0x4f, totalLength: 40, proto: 6) + Fixture.tcpSYN
        let p = decode(bytes, .raw)
        #expect(p.network.isNone)
        #expect(p.problem == DecodeError(.malformed, .ipv4, offset: 0, .headerLengthBeyondPacket, value: 60))
        #expect(!p.isTruncated)
    }

    @Test("IHL beyond the captured bytes but within the wire length is truncated")
    func ihlBeyondCapture() throws {
        let bytes = Build.ipv4(versionIHL: 0x4f, totalLength: 80, proto: 6) + Fixture.tcpSYN
        let p = decode(bytes, .raw, originalLength: 80)
        #expect(p.network.isNone)
        #expect(p.isTruncated)
        #expect(p.problem?.kind == .truncated)
        #expect(p.problem?.layer == .ipv4)
        #expect(p.problem?.reason == .short)
        #expect(p.problem?.value == 20)
    }

    @Test("total length below the header length is malformed", arguments: [UInt16(1), 19])
    func totalLengthTooSmall(total: UInt16) throws {
        let bytes = Build.ipv4(totalLength: total, proto: 6) + Fixture.tcpSYN
        let p = decode(bytes, .raw)
        #expect(p.network.isNone)
        #expect(p.problem == DecodeError(.malformed, .ipv4, offset: 2, .totalLengthTooSmall, value: Int(total)))
    }

    @Test("total length 20 (no payload) with IHL 5 is a bare header")
    func totalLengthHeaderOnly() throws {
        let p = decode(Build.ipv4(totalLength: 20, proto: 59), .raw)
        #expect(p.ipv4?.payloadLength == 0)
        #expect(p.transport == .other(proto: 59))
        #expect(p.problem == nil)
    }

    @Test("total length beyond the frame, captured whole: malformed")
    func totalLengthBeyondFrame() throws {
        let bytes = Build.ipv4(totalLength: 100, proto: 6) + Fixture.tcpSYN
        let p = decode(bytes, .raw)
        #expect(p.network.isNone)
        #expect(p.problem == DecodeError(.malformed, .ipv4, offset: 2, .totalLengthBeyondPacket, value: 100))
        #expect(!p.isTruncated)
    }

    @Test("total length beyond the captured bytes but not the wire: decoded; a cut in the payload is no truncation")
    func totalLengthBeyondCaptureInPayload() throws {
        let bytes = Build.ipv4(totalLength: 100, proto: 6) + Fixture.tcpSYN
        let p = decode(bytes, .raw, originalLength: 100)
        #expect(p.ipv4?.totalLength == 100)
        #expect(p.tcp?.payloadLength == 60)
        // Only payload is missing: no header was cut.
        #expect(p.problem == nil)
        #expect(!p.isTruncated)
    }

    @Test("total length beyond the captured bytes, cut inside the TCP header: truncated, ports kept")
    func totalLengthBeyondCaptureInHeader() throws {
        let bytes = Array((Build.ipv4(totalLength: 100, proto: 6) + Fixture.tcpSYN)[0..<30])
        let p = decode(bytes, .raw, originalLength: 100)
        #expect(p.ipv4?.totalLength == 100)
        #expect(p.transport == .truncated(proto: 6, sourcePort: 49152, destinationPort: 80))
        #expect(p.isTruncated)
        #expect(p.problem == DecodeError(.truncated, .tcp, offset: 20, .short, value: 10))
    }

    @Test("total length 0 (TSO/GSO) is taken from the frame", arguments: [LinkType.raw, .ethernet])
    func totalLengthZero(linkType: LinkType) throws {
        let link = linkType == .ethernet ? Build.ethernet(etherType: 0x0800) : []
        let bytes = link + Build.ipv4(totalLength: 0, proto: 6) + Fixture.tcpSYN + [0xde, 0xad]
        let p = decode(bytes, linkType)
        let ip = try #require(p.ipv4)
        #expect(ip.totalLengthFromFrame)
        #expect(ip.totalLength == 42)
        #expect(p.tcp?.payloadLength == 2)
        #expect(p.problem == nil)
    }

    @Test("total length 0 with a snaplen cut: taken from the wire length")
    func totalLengthZeroCut() throws {
        let bytes = Build.ethernet(etherType: 0x0800) + Build.ipv4(totalLength: 0, proto: 6) + Fixture.tcpSYN
        let p = decode(bytes, .ethernet, originalLength: 1514)
        #expect(p.ipv4?.totalLength == 1500)
        #expect(p.ipv4?.totalLengthFromFrame == true)
        #expect(p.tcp?.payloadLength == 1460)
        #expect(!p.isTruncated)
    }

    @Test("Ethernet padding beyond the total length is ignored")
    func ethernetPadding() throws {
        // A 54-byte frame padded to the 60-byte minimum with six bytes that would be garbage options.
        let bytes = Build.ethernet(etherType: 0x0800) + Fixture.ipv4SYN + [0x02, 0x01, 0xff, 0xff, 0xff, 0xff]
        let p = decode(bytes, .ethernet, originalLength: 60)
        #expect(p.ipv4?.totalLength == 40)
        #expect(p.tcp?.payloadLength == 0)
        #expect(p.tcp?.options.count == 0)
        #expect(p.problem == nil)

        // The same for UDP: the UDP length is checked against the IP length, not the frame.
        let udp = Build.ethernet(etherType: 0x0800) + Build.ipv4(totalLength: 28, proto: 17)
            + Build.udp(sourcePort: 5353, destinationPort: 5353, length: 8) + Array(repeating: 0, count: 18)
        let q = decode(udp, .ethernet)
        #expect(q.udp?.length == 8)
        #expect(q.udp?.payloadLength == 0)
        #expect(q.problem == nil)
    }

    static let fragmentFields: [(field: UInt16, df: Bool, mf: Bool, offset: Int)] = [
        (0x0000, false, false, 0),
        (0x4000, true, false, 0),
        (0x2000, false, true, 0),
        (0x2001, false, true, 8),
        (0x00b9, false, false, 1480),
        (0x3fff, false, true, 0x1fff * 8),
        // The reserved (evil) bit is ignored.
        (0x8000, false, false, 0),
    ]

    @Test("DF, MF and the fragment offset", arguments: fragmentFields)
    func flagsAndOffset(field: UInt16, df: Bool, mf: Bool, offset: Int) throws {
        let bytes = Build.ipv4(totalLength: 40, flagsFragment: field, proto: 6) + Fixture.tcpSYN
        let ip = try #require(parse(bytes) { r throws(DecodeError) in try IPv4Header(parsing: r, frameLength: 40) }.value)
        #expect(ip.dontFragment == df)
        #expect(ip.moreFragments == mf)
        #expect(ip.fragmentOffset == offset)
        #expect(ip.isFragment == (mf || offset != 0))
        #expect(ip.isFirstFragment == (offset == 0))
    }

    @Test("a later fragment has no transport header", arguments: [UInt8(6), 17, 1])
    func laterFragment(proto: UInt8) throws {
        // Offset 185 * 8 = 1480; the payload is whatever the datagram's middle holds.
        let bytes = Build.ipv4(totalLength: 28, flagsFragment: 0x00b9, proto: proto) + [0, 0, 0, 0, 0, 0, 0, 0]
        let p = decode(bytes, .raw)
        #expect(p.ipv4?.fragmentOffset == 1480)
        #expect(p.transport == .fragment(proto: proto))
        #expect(p.problem == nil)
    }

    @Test("a later fragment too short for any transport header is still just a fragment")
    func laterFragmentTiny() throws {
        let p = decode(Build.ipv4(totalLength: 21, flagsFragment: 0x2001, proto: 6) + [0xaa], .raw)
        #expect(p.transport == .fragment(proto: 6))
        #expect(p.problem == nil)
    }

    @Test("a first fragment (MF, offset 0) decodes its TCP header")
    func firstFragmentTCP() throws {
        let p = decode(Build.ipv4(totalLength: 40, flagsFragment: 0x2000, proto: 6) + Fixture.tcpSYN, .raw)
        #expect(p.ipv4?.isFragment == true)
        #expect(p.ipv4?.isFirstFragment == true)
        #expect(p.tcp?.destinationPort == 80)
        #expect(p.problem == nil)
    }

    @Test("a first fragment (MF, offset 0) decodes its UDP header")
    func firstFragmentUDP() throws {
        let bytes = Build.ipv4(totalLength: 36, flagsFragment: 0x2000, proto: 17)
            + Build.udp(sourcePort: 1234, destinationPort: 53, length: 16) + [1, 2, 3, 4, 5, 6, 7, 8]
        let p = decode(bytes, .raw)
        #expect(p.udp?.sourcePort == 1234)
        #expect(p.udp?.destinationPort == 53)
        #expect(p.problem == nil)
    }

    @Test("a first fragment of a larger UDP datagram: the UDP length covers later fragments and is not checked")
    func firstFragmentOfLargerUDP() throws {
        // A 3000-byte UDP datagram; this first fragment holds 1480 of it (MF, offset 0).
        let bytes = Build.ipv4(totalLength: 1500, flagsFragment: 0x2000, proto: 17)
            + Build.udp(sourcePort: 5001, destinationPort: 5002, length: 3000)
        let p = decode(bytes, .raw, originalLength: 1500)
        #expect(p.ipv4?.isFragment == true)
        #expect(p.udp?.sourcePort == 5001)
        #expect(p.udp?.length == 3000)
        #expect(p.problem == nil)
    }

    @Test("a first fragment's UDP length below 8 is still malformed")
    func firstFragmentUDPTooShort() throws {
        let bytes = Build.ipv4(totalLength: 1500, flagsFragment: 0x2000, proto: 17)
            + Build.udp(sourcePort: 5001, destinationPort: 5002, length: 7)
        let p = decode(bytes, .raw, originalLength: 1500)
        #expect(p.problem == DecodeError(.malformed, .udp, offset: 24, .udpLengthTooSmall, value: 7))
    }

    @Test("an unfragmented datagram's UDP length is checked against the IP payload")
    func unfragmentedUDPChecked() throws {
        let bytes = Build.ipv4(totalLength: 1500, flagsFragment: 0x4000, proto: 17)
            + Build.udp(sourcePort: 5001, destinationPort: 5002, length: 3000)
        let p = decode(bytes, .raw, originalLength: 1500)
        #expect(p.problem == DecodeError(.malformed, .udp, offset: 24, .udpLengthBeyondPacket, value: 3000))
    }

    @Test("a protocol with no decoder is kept as other")
    func otherProtocol() throws {
        let p = decode(Build.ipv4(totalLength: 28, proto: 47) + [0, 0, 0x08, 0x00, 0, 0, 0, 0], .raw)
        #expect(p.transport == .other(proto: 47))
        #expect(p.problem == nil)
    }

    @Test("a version other than 4 in IPv4Header(parsing:) is malformed")
    func badVersion() throws {
        let bytes = Build.ipv4(versionIHL: 0x65, totalLength: 20, proto: 6)
        let e = parse(bytes, origin: 14) { r throws(DecodeError) in try IPv4Header(parsing: r, frameLength: 20) }.error
        #expect(e == DecodeError(.malformed, .ipv4, offset: 14, .badVersion, value: 6))
    }
}
