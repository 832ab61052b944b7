import PacketWire
import Testing
import TraceModel

/// Link types the fuzz runs over: every supported one, and one the decoder does not know.
private let fuzzLinkTypes: [LinkType] = [.null, .ethernet, .raw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2,
                                         LinkType(rawValue: 12), LinkType(rawValue: 14), LinkType(rawValue: 147)]

/// Decodes `bytes` and checks what must hold for any input. A trap ends the test process.
private func decodeAndCheck(_ bytes: [UInt8], _ linkType: LinkType, originalLength: Int, _ what: @autoclosure () -> String) {
    bytes.withUnsafeBytes { raw in
        let p = PacketDecoder.decode(raw, linkType: linkType, originalLength: originalLength)
        if p.isTruncated, p.problem == nil { Issue.record("truncated without a problem: \(what())") }
        if p.problem?.kind == .truncated, !p.isTruncated { Issue.record("truncated problem, isTruncated false: \(what())") }
        if p.link == nil, !p.network.isNone || !p.transport.isNone { Issue.record("layers without a link: \(what())") }
        if p.network.isNone, !p.transport.isNone { Issue.record("transport without a network layer: \(what())") }
        if !LinkHeader.isSupported(linkType), p != DecodedPacket() { Issue.record("unsupported link decoded: \(what())") }
        if let fast = PacketDecoder.decodeTCP(raw, linkType: linkType, originalLength: originalLength),
           p.tcp != fast.header || p.source != fast.source || p.destination != fast.destination || p.isTruncated != fast.isTruncated {
            Issue.record("decodeTCP disagrees with decode: \(what())")
        }
        if let tcp = p.tcp {
            // Walking the options again over the same bytes must not trap either, and must end.
            var it = tcp.optionIterator(in: raw)
            var k = 0
            while it.next() != nil {
                k += 1
                if k > 40 { Issue.record("option walk does not end: \(what())"); break }
            }
            if tcp.headerLength >= 20, tcp.problem == nil, tcp.payloadLength < 0 { Issue.record("negative payload: \(what())") }
        }
    }
}

private func randomBytes(_ n: Int, _ rng: inout SplitMix64) -> [UInt8] {
    (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
}

private func randomOriginalLength(_ count: Int, _ rng: inout SplitMix64) -> Int {
    switch rng.next() % 4 {
    case 0, 1: count
    case 2: count + Int(rng.next() % 2000)
    default: Int(rng.next() % 300)  // below the captured length: the decoder takes the larger
    }
}

@Suite("Fuzz")
struct FuzzTests {
    @Test("20,000 random buffers of 0-200 bytes do not trap", arguments: fuzzLinkTypes)
    func randomBuffers(linkType: LinkType) {
        var rng = SplitMix64(seed: 0x5eed_0000 + UInt64(linkType.rawValue))
        for i in 0..<20_000 {
            let bytes = randomBytes(Int(rng.next() % 201), &rng)
            let original = randomOriginalLength(bytes.count, &rng)
            decodeAndCheck(bytes, linkType, originalLength: original, "\(linkType) #\(i) \(bytes) orig \(original)")
        }
    }

    /// A random packet that gets past the link layer most of the time: a valid
    /// link header, an IP header with random lengths and flags, extension
    /// headers, and a transport header with random options.
    private static func structured(_ linkType: LinkType, _ rng: inout SplitMix64) -> [UInt8] {
        let v6 = rng.next() % 2 == 0
        let etherType: UInt16 = v6 ? 0x86dd : 0x0800
        var b: [UInt8]
        switch linkType {
        case .ethernet:
            var tags: [(tpid: UInt16, tci: UInt16)] = []
            for _ in 0..<(rng.next() % 4) { tags.append(([0x8100, 0x88a8, 0x9100][Int(rng.next() % 3)], UInt16(truncatingIfNeeded: rng.next()))) }
            b = Build.ethernet(tags: tags, etherType: etherType)
        case .linuxSLL: b = Build.sll(packetType: UInt16(rng.next() % 5), protocolType: etherType)
        case .linuxSLL2: b = Build.sll2(protocolType: etherType, interfaceIndex: UInt32(truncatingIfNeeded: rng.next()), packetType: 0)
        case .null: b = rng.next() % 2 == 0 ? le32(v6 ? 30 : 2) : be32(v6 ? 10 : 2)
        case .loop: b = be32(v6 ? 24 : 2)
        default: b = []
        }
        let protos: [UInt8] = [6, 6, 6, 17, 17, 1, 58, 0, 43, 44, 60, 59, UInt8(truncatingIfNeeded: rng.next())]
        let proto = protos[Int(rng.next() % UInt64(protos.count))]
        let bodyLength = Int(rng.next() % 120)
        if v6 {
            let payload = rng.next() % 3 == 0 ? UInt16(truncatingIfNeeded: rng.next()) : UInt16(bodyLength)
            b += Build.ipv6(payloadLength: payload, nextHeader: proto)
            var next = proto
            while [0, 43, 60, 44].contains(next), rng.next() % 4 != 0 {
                let following = protos[Int(rng.next() % UInt64(protos.count))]
                if next == 44 {
                    b += Build.ipv6Fragment(nextHeader: following, offsetFlags: rng.next() % 2 == 0 ? 0 : UInt16(truncatingIfNeeded: rng.next()),
                                            identification: 1)
                } else {
                    let len = UInt8(rng.next() % 3)
                    b += Build.ipv6Extension(nextHeader: following, hdrExtLen: len, body: randomBytes(Int(len) * 8 + 6, &rng))
                }
                next = following
            }
        } else {
            let ihl = rng.next() % 4 == 0 ? UInt8(rng.next() % 16) : 5
            let total = rng.next() % 3 == 0 ? UInt16(truncatingIfNeeded: rng.next()) : UInt16(20 + bodyLength)
            let frag: UInt16 = rng.next() % 2 == 0 ? 0x4000 : UInt16(truncatingIfNeeded: rng.next())
            b += Build.ipv4(versionIHL: 0x40 | ihl, totalLength: total, flagsFragment: frag, proto: proto,
                            options: randomBytes(ihl > 5 ? (Int(ihl) - 5) * 4 : 0, &rng))
        }
        if rng.next() % 2 == 0 {
            // A TCP-looking header with a random data offset and random option bytes.
            let offset = UInt16(rng.next() % 16)
            b += Build.tcp(sourcePort: 1, destinationPort: 2, sequence: 3, acknowledgment: 4, dataOffset: offset,
                           flags: UInt16(rng.next() % 0x200), window: 5, options: randomBytes(Int(rng.next() % 44), &rng))
        }
        return b + randomBytes(bodyLength % 40, &rng)
    }

    @Test("20,000 structured random packets, cut anywhere, do not trap", arguments: fuzzLinkTypes)
    func structuredPackets(linkType: LinkType) {
        var rng = SplitMix64(seed: 0xfeed_0000 + UInt64(linkType.rawValue))
        for i in 0..<20_000 {
            var bytes = Self.structured(linkType, &rng)
            let wire = bytes.count
            if rng.next() % 2 == 0 { bytes = Array(bytes[0..<Int(rng.next() % UInt64(bytes.count + 1))]) }
            let original = rng.next() % 4 == 0 ? randomOriginalLength(bytes.count, &rng) : wire
            decodeAndCheck(bytes, linkType, originalLength: original, "\(linkType) #\(i) \(bytes) orig \(original)")
        }
    }

    @Test("10,000 mutations of each fixture do not trap", arguments: PrefixFixtures.all)
    func mutations(f: PrefixFixture) {
        var rng = SplitMix64(seed: 0xabcd_0000 &+ UInt64(f.bytes.count))
        for i in 0..<10_000 {
            var bytes = f.bytes
            for _ in 0..<(1 + rng.next() % 4) {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 3 == 0 { bytes = Array(bytes[0..<Int(rng.next() % UInt64(bytes.count + 1))]) }
            let original = rng.next() % 2 == 0 ? f.bytes.count : randomOriginalLength(bytes.count, &rng)
            decodeAndCheck(bytes, f.linkType, originalLength: original, "\(f.name) #\(i) \(bytes) orig \(original)")
        }
    }

    @Test("extreme original lengths do not overflow", arguments: [Int.min, -1, 0, 65_535, 1 << 40, Int.max])
    func extremeOriginalLengths(original: Int) {
        for f in PrefixFixtures.all {
            for n in [0, f.bytes.count / 2, f.bytes.count] {
                decodeAndCheck(Array(f.bytes[0..<n]), f.linkType, originalLength: original, "\(f.name) \(n) orig \(original)")
            }
        }
        // IPv6 payload length 0 takes the length from the wire: with Int.max, nothing may overflow.
        decodeAndCheck(Build.ipv6(payloadLength: 0, nextHeader: 0) + [6, 0, 1, 4, 0, 0, 0, 0] + Fixture.tcpSYN, .raw,
                       originalLength: original, "jumbo \(original)")
        decodeAndCheck(Build.ipv4(totalLength: 0, proto: 6) + Fixture.tcpSYN, .raw, originalLength: original, "GSO \(original)")
    }

    @Test("decoding is deterministic")
    func deterministic() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let bytes = Self.structured(.ethernet, &rng)
            #expect(decode(bytes, .ethernet) == decode(bytes, .ethernet))
        }
    }
}
