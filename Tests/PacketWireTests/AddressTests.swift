import PacketWire
import Testing
import TraceModel

/// An IPv6 address from its eight groups, most significant first.
private func v6(_ g: [UInt16]) -> IPv6Address {
    precondition(g.count == 8)
    let high = g[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
    let low = g[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
    return IPv6Address(high: high, low: low)
}

@Suite("Addresses")
struct AddressTests {
    static let rfc5952: [(groups: [UInt16], text: String)] = [
        ([0, 0, 0, 0, 0, 0, 0, 1], "::1"),
        ([0, 0, 0, 0, 0, 0, 0, 0], "::"),
        ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], "2001:db8::1"),
        // §4.2.3: the longest run is shortened.
        ([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], "2001:db8::1:0:0:1"),
        ([0x2001, 0, 0, 1, 0, 0, 0, 1], "2001:0:0:1::1"),
        // §4.2.3: on a tie, the first run.
        ([0x2001, 0xdb8, 0, 0, 1, 1, 0, 0], "2001:db8::1:1:0:0"),
        ([1, 0, 0, 2, 0, 0, 3, 4], "1::2:0:0:3:4"),
        // §4.2.2: a single zero group is not shortened.
        ([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1], "2001:db8:0:1:1:1:1:1"),
        ([0, 1, 2, 3, 4, 5, 6, 7], "0:1:2:3:4:5:6:7"),
        // §4.1 leading zeros dropped, §4.3 lower case.
        ([0x2001, 0x0db8, 0x00ab, 0x0cd0, 0, 0, 0, 0xabcd], "2001:db8:ab:cd0::abcd"),
        // Runs at either end.
        ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], "2001:db8::"),
        ([0, 0, 0, 0, 0, 0, 0xffff, 0xffff], "::ffff:ffff"),
        ([0xfe80, 0, 0, 0, 0x0202, 0xb3ff, 0xfe1e, 0x8329], "fe80::202:b3ff:fe1e:8329"),
        ([0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff], "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        // §5: IPv4-mapped addresses end in a dotted quad.
        ([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201], "::ffff:192.0.2.1"),
        ([0, 0, 0, 0, 0, 0xffff, 0, 0], "::ffff:0.0.0.0"),
    ]

    @Test("IPv6Address.description follows RFC 5952", arguments: rfc5952)
    func ipv6Text(groups: [UInt16], text: String) {
        let a = v6(groups)
        #expect(a.groups == groups)
        #expect(a.description == text)
        #expect(IPAddress.v6(a).description == text)
    }

    @Test("IPv6 constants")
    func ipv6Constants() {
        #expect(IPv6Address.loopback.description == "::1")
        #expect(IPv6Address.any.description == "::")
        #expect(IPv6Address.any < IPv6Address.loopback)
        #expect(v6([0, 0, 0, 1, 0, 0, 0, 0]) > v6([0, 0, 0, 0, 0xffff, 0xffff, 0xffff, 0xffff]))
    }

    static let dottedQuads: [(text: String, value: UInt32)] = [
        ("192.0.2.1", 0xc000_0201),
        ("0.0.0.0", 0),
        ("255.255.255.255", 0xffff_ffff),
        ("127.0.0.1", 0x7f00_0001),
        ("10.20.30.40", 0x0a14_1e28),
    ]

    @Test("IPv4Address parses and prints dotted quads", arguments: dottedQuads)
    func ipv4RoundTrip(text: String, value: UInt32) throws {
        let a = try #require(IPv4Address(text))
        #expect(a.value == value)
        #expect(a.description == text)
        #expect(IPv4Address(value).description == text)
        #expect(IPv4Address(UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)) == a)
    }

    static let notDottedQuads = [
        "", "1", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", "256.0.0.1", "1.2.3.256", "1.2.3.1000",
        "a.b.c.d", "0x1.2.3.4", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "1,2,3,4", "::1",
    ]

    @Test("IPv4Address rejects anything that is not a dotted quad", arguments: notDottedQuads)
    func ipv4Rejects(text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test("IPv4 constants and order")
    func ipv4Constants() {
        #expect(IPv4Address.loopback.description == "127.0.0.1")
        #expect(IPv4Address.any.description == "0.0.0.0")
        #expect(IPv4Address(10, 0, 0, 1) < IPv4Address(10, 0, 0, 2))
        #expect(IPAddress.v4(IPv4Address(1, 2, 3, 4)).description == "1.2.3.4")
        #expect(!IPAddress.v4(.loopback).isIPv6)
        #expect(IPAddress.v6(.loopback).isIPv6)
    }

    @Test("decoded IPv6 addresses print per RFC 5952")
    func decodedIPv6() {
        let src: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]
        let dst: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]
        let p = decode(Build.ipv6(payloadLength: 20, nextHeader: 6, source: src, destination: dst) + Fixture.tcpSYN, .raw)
        #expect(p.source?.description == "2001:db8::1:0:0:1")
        #expect(p.destination?.description == "::ffff:192.0.2.1")
    }
}
