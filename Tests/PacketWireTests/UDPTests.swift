import PacketWire
import Testing
import TraceModel

@Suite("UDP")
struct UDPTests {
    @Test("fields")
    func fields() throws {
        let bytes = Build.ipv4(totalLength: 32, proto: 17) + Build.udp(sourcePort: 53, destinationPort: 40000, length: 12, checksum: 0xabcd)
            + [1, 2, 3, 4]
        let p = decode(bytes, .raw)
        let u = try #require(p.udp)
        #expect(u.sourcePort == 53)
        #expect(u.destinationPort == 40000)
        #expect(u.length == 12)
        #expect(u.checksum == 0xabcd)
        #expect(u.payloadLength == 4)
        #expect(UDPHeader.headerLength == 8)
        #expect(p.problem == nil)
    }

    @Test("UDP over IPv6")
    func overIPv6() throws {
        let bytes = Build.ipv6(payloadLength: 8, nextHeader: 17) + Build.udp(sourcePort: 546, destinationPort: 547, length: 8)
        let p = decode(bytes, .raw)
        #expect(p.udp?.destinationPort == 547)
        #expect(p.udp?.payloadLength == 0)
        #expect(p.problem == nil)
    }

    @Test("a UDP length below 8 is malformed", arguments: [UInt16(0), 1, 7])
    func lengthTooSmall(length: UInt16) throws {
        let bytes = Build.ethernet(etherType: 0x0800) + Build.ipv4(totalLength: 28, proto: 17)
            + Build.udp(sourcePort: 1, destinationPort: 2, length: length)
        let p = decode(bytes, .ethernet)
        #expect(p.ipv4 != nil)
        #expect(p.transport == .other(proto: 17))
        #expect(p.problem == DecodeError(.malformed, .udp, offset: 38, .udpLengthTooSmall, value: Int(length)))
        #expect(!p.isTruncated)
    }

    @Test("a UDP length beyond the IP payload is malformed")
    func lengthBeyondPacket() throws {
        let bytes = Build.ipv4(totalLength: 36, proto: 17) + Build.udp(sourcePort: 1, destinationPort: 2, length: 17)
            + [0, 0, 0, 0, 0, 0, 0, 0]
        let p = decode(bytes, .raw)
        #expect(p.transport == .other(proto: 17))
        #expect(p.problem == DecodeError(.malformed, .udp, offset: 24, .udpLengthBeyondPacket, value: 17))
    }

    @Test("a UDP length shorter than the IP payload is accepted (trailer)")
    func lengthShorterThanPayload() throws {
        let bytes = Build.ipv4(totalLength: 36, proto: 17) + Build.udp(sourcePort: 1, destinationPort: 2, length: 10)
            + [0, 0, 0, 0, 0, 0, 0, 0]
        let p = decode(bytes, .raw)
        #expect(p.udp?.length == 10)
        #expect(p.problem == nil)
    }

    @Test("a UDP length beyond the captured bytes but within the IP length is fine")
    func lengthBeyondCapture() throws {
        let bytes = Build.ipv4(totalLength: 1028, proto: 17) + Build.udp(sourcePort: 1, destinationPort: 2, length: 1008)
        let p = decode(bytes, .raw, originalLength: 1028)
        #expect(p.udp?.payloadLength == 1000)
        #expect(!p.isTruncated)
        #expect(p.problem == nil)
    }

    @Test("UDPHeader(parsing:) checks its length against `available`")
    func direct() throws {
        let bytes = Build.udp(sourcePort: 7, destinationPort: 9, length: 30)
        let ok = parse(bytes, layer: .udp) { r throws(DecodeError) in try UDPHeader(parsing: r, available: 30) }
        #expect(ok.value?.length == 30)
        let bad = parse(bytes, origin: 100, layer: .udp) { r throws(DecodeError) in try UDPHeader(parsing: r, available: 29) }
        #expect(bad.error == DecodeError(.malformed, .udp, offset: 104, .udpLengthBeyondPacket, value: 30))
    }
}
