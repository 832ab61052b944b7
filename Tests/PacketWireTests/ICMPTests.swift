import PacketWire
import Testing
import TraceModel

/// The datagram a router or host sends back: 198.51.100.2:33434 <- UDP from 192.0.2.1:40000.
private let quotedIPv4UDP: [UInt8] =
    Build.ipv4(totalLength: 60, identification: 0x0101, flagsFragment: 0x0000, ttl: 1, proto: 17,
               source: Build.v4A, destination: Build.v4B)
    + Build.udp(sourcePort: 40000, destinationPort: 33434, length: 40)

@Suite("ICMP")
struct ICMPTests {
    static let portUnreachable: [UInt8] =
        Build.ipv4(totalLength: 56, proto: 1, source: Build.v4B, destination: Build.v4A)
        + Build.icmp(type: 3, code: 3, checksum: 0x3333, rest: 0)
        + quotedIPv4UDP

    @Test("ICMPv4 port unreachable quoting IPv4 + UDP")
    func portUnreachable() throws {
        #expect(Self.portUnreachable.count == 56)
        let p = decode(Self.portUnreachable, .raw)
        let m = try #require(p.icmp)
        #expect(!m.isV6)
        #expect(m.type == 3)
        #expect(m.code == 3)
        #expect(m.checksum == 0x3333)
        #expect(m.rest == 0)
        #expect(m.isError)
        let q = try #require(m.quoted)
        #expect(q.proto == 17)
        #expect(q.source == .v4(IPv4Address(192, 0, 2, 1)))
        #expect(q.destination == .v4(IPv4Address(198, 51, 100, 2)))
        #expect(q.sourcePort == 40000)
        #expect(q.destinationPort == 33434)
        #expect(p.problem == nil)
    }

    @Test("the quoted IPv4 header's own options are skipped to find the ports")
    func quotedWithOptions() throws {
        let quoted = Build.ipv4(versionIHL: 0x46, totalLength: 64, flagsFragment: 0, proto: 6, options: [1, 1, 1, 0])
            + Build.tcp(sourcePort: 50000, destinationPort: 443, sequence: 9, acknowledgment: 0, dataOffset: 5, flags: 2, window: 0)[0..<8]
        let bytes = Build.ipv4(totalLength: 60, proto: 1) + Build.icmp(type: 11, code: 0) + quoted
        let q = try #require(decode(bytes, .raw).icmp?.quoted)
        #expect(q.proto == 6)
        #expect(q.sourcePort == 50000)
        #expect(q.destinationPort == 443)
    }

    @Test("a quoted later fragment has no ports")
    func quotedLaterFragment() throws {
        let quoted = Build.ipv4(totalLength: 60, flagsFragment: 0x0010, proto: 17) + Build.udp(sourcePort: 1, destinationPort: 2, length: 40)
        let bytes = Build.ipv4(totalLength: 56, proto: 1) + Build.icmp(type: 11, code: 1) + quoted
        let q = try #require(decode(bytes, .raw).icmp?.quoted)
        #expect(q.proto == 17)
        #expect(q.sourcePort == nil)
        #expect(q.destinationPort == nil)
    }

    @Test("a quoted protocol without ports (ICMP echo) gives no ports")
    func quotedICMP() throws {
        let quoted = Build.ipv4(totalLength: 84, flagsFragment: 0, proto: 1) + Build.icmp(type: 8, code: 0, rest: 0x0001_0002)
        let bytes = Build.ipv4(totalLength: 56, proto: 1) + Build.icmp(type: 11, code: 0) + quoted
        let q = try #require(decode(bytes, .raw).icmp?.quoted)
        #expect(q.proto == 1)
        #expect(q.sourcePort == nil)
    }

    @Test("ICMPv6 destination unreachable quoting IPv6 + UDP")
    func v6DestinationUnreachable() throws {
        let quoted = Build.ipv6(payloadLength: 20, nextHeader: 17, source: Build.v6A, destination: Build.v6B)
            + Build.udp(sourcePort: 5000, destinationPort: 53, length: 20)
        let bytes = Build.ipv6(payloadLength: 56, nextHeader: 58, source: Build.v6B, destination: Build.v6A)
            + Build.icmp(type: 1, code: 4, checksum: 0x6666, rest: 0) + quoted
        let p = decode(Build.ethernet(etherType: 0x86dd) + bytes, .ethernet)
        let m = try #require(p.icmp)
        #expect(m.isV6)
        #expect(m.type == 1)
        #expect(m.code == 4)
        #expect(m.checksum == 0x6666)
        #expect(m.isError)
        let q = try #require(m.quoted)
        #expect(q.proto == 17)
        #expect(q.source.description == "2001:db8::1")
        #expect(q.destination.description == "2001:db8::2")
        #expect(q.sourcePort == 5000)
        #expect(q.destinationPort == 53)
        #expect(p.problem == nil)
    }

    @Test("ICMPv6 packet too big carries the MTU in the rest field")
    func v6PacketTooBig() throws {
        let quoted = Build.ipv6(payloadLength: 1400, nextHeader: 6) + Fixture.tcpSYN[0..<8]
        let bytes = Build.ipv6(payloadLength: 56, nextHeader: 58) + Build.icmp(type: 2, code: 0, rest: 1280) + quoted
        let m = try #require(decode(bytes, .raw).icmp)
        #expect(m.rest == 1280)
        #expect(m.quoted?.proto == 6)
        #expect(m.quoted?.sourcePort == 49152)
        #expect(m.quoted?.destinationPort == 80)
    }

    @Test("echo request and reply quote nothing", arguments: [(false, UInt8(8)), (false, 0), (true, 128), (true, 129)])
    func echo(isV6: Bool, type: UInt8) throws {
        // The echo data happens to look like an IPv4 header; it must not be read as a quote.
        let data = Build.ipv4(totalLength: 20, proto: 17)
        let icmp = Build.icmp(type: type, code: 0, rest: 0x1234_0001) + data
        let bytes = isV6 ? Build.ipv6(payloadLength: 28, nextHeader: 58) + icmp : Build.ipv4(totalLength: 48, proto: 1) + icmp
        let p = decode(bytes, .raw)
        let m = try #require(p.icmp)
        #expect(m.isV6 == isV6)
        #expect(m.type == type)
        #expect(!m.isError)
        #expect(m.quoted == nil)
        #expect(m.rest == 0x1234_0001)
        #expect(p.problem == nil)
    }

    static let errorTypes: [(isV6: Bool, type: UInt8, isError: Bool)] = [
        (false, 3, true), (false, 4, true), (false, 5, true), (false, 11, true), (false, 12, true),
        (false, 0, false), (false, 8, false), (false, 13, false), (false, 9, false),
        (true, 1, true), (true, 2, true), (true, 3, true), (true, 4, true), (true, 127, true),
        (true, 128, false), (true, 129, false), (true, 133, false), (true, 135, false),
    ]

    @Test("which types are errors", arguments: errorTypes)
    func isError(isV6: Bool, type: UInt8, isError: Bool) throws {
        let m = try #require(parse(Build.icmp(type: type, code: 0), layer: isV6 ? .icmpv6 : .icmp) { r throws(DecodeError) in
            try ICMPMessage(parsing: r, isV6: isV6)
        }.value)
        #expect(m.isError == isError)
        #expect(m.quoted == nil)
    }

    @Test("a quote too short for an IP header is left out, without a problem", arguments: [0, 1, 10, 19])
    func quoteTooShort(quoteLength: Int) throws {
        let bytes = Build.ipv4(totalLength: UInt16(28 + quoteLength), proto: 1) + Build.icmp(type: 3, code: 1)
            + Array(quotedIPv4UDP[0..<quoteLength])
        let p = decode(bytes, .raw)
        let m = try #require(p.icmp)
        #expect(m.type == 3)
        #expect(m.quoted == nil)
        #expect(p.problem == nil)
        #expect(!p.isTruncated)
    }

    @Test("a quote with the IP header but not the ports keeps the addresses", arguments: [20, 21, 23])
    func quoteWithoutPorts(quoteLength: Int) throws {
        let bytes = Build.ipv4(totalLength: UInt16(28 + quoteLength), proto: 1) + Build.icmp(type: 3, code: 3)
            + Array(quotedIPv4UDP[0..<quoteLength])
        let q = try #require(decode(bytes, .raw).icmp?.quoted)
        #expect(q.proto == 17)
        #expect(q.destination == .v4(IPv4Address(198, 51, 100, 2)))
        #expect(q.sourcePort == nil)
        #expect(q.destinationPort == nil)
    }

    @Test("a quote with a bad version or IHL is left out", arguments: [UInt8(0x55), 0x44, 0x05, 0x65])
    func quoteBad(firstByte: UInt8) throws {
        var quote = quotedIPv4UDP
        quote[0] = firstByte
        let bytes = Build.ipv4(totalLength: 56, proto: 1) + Build.icmp(type: 3, code: 3) + quote
        let p = decode(bytes, .raw)
        #expect(p.icmp?.type == 3)
        #expect(p.icmp?.quoted == nil)
        #expect(p.problem == nil)
    }

    @Test("QuotedDatagram(parsing:) reports why a quote is unusable")
    func quotedDirect() {
        var bad = quotedIPv4UDP
        bad[0] = 0x43
        #expect(parse(bad, origin: 28, layer: .quotedIP) { r throws(DecodeError) in try QuotedDatagram(parsing: r) }.error
            == DecodeError(.malformed, .quotedIP, offset: 28, .headerLengthTooSmall, value: 12))
        bad[0] = 0x25
        #expect(parse(bad, origin: 28, layer: .quotedIP) { r throws(DecodeError) in try QuotedDatagram(parsing: r) }.error
            == DecodeError(.malformed, .quotedIP, offset: 28, .badVersion, value: 2))
    }

    @Test("the quote is bounded by the outer IP length, not by trailing bytes")
    func quoteBoundedByIPLength() throws {
        // Outer total length stops 2 bytes into the quoted UDP header: ports unreadable, even though captured.
        let bytes = Build.ipv4(totalLength: 50, proto: 1) + Build.icmp(type: 3, code: 3) + quotedIPv4UDP
        let p = decode(bytes, .raw)
        let q = try #require(p.icmp?.quoted)
        #expect(q.sourcePort == nil)
        #expect(p.problem == nil)
    }

    @Test("ICMP in IPv6 and ICMPv6 in IPv4 are other protocols")
    func wrongFamily() {
        let a = decode(Build.ipv6(payloadLength: 8, nextHeader: 1) + Build.icmp(type: 8, code: 0), .raw)
        #expect(a.transport == .other(proto: 1))
        let b = decode(Build.ipv4(totalLength: 28, proto: 58) + Build.icmp(type: 128, code: 0), .raw)
        #expect(b.transport == .other(proto: 58))
    }
}
