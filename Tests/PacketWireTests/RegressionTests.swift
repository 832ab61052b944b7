import PacketWire
import Testing
import TraceModel

// Regression tests for decoder faults these tests found (against commit
// adab1e0). Each asserts the behaviour the decoder's documentation (or the
// RFC it cites) promises; the comment on each says what went wrong before.
// (The UDP first-fragment fault is covered in IPv4Tests and IPv6Tests.)

@Suite("Decoder regressions")
struct RegressionTests {
    /// When the IP length leaves less room than a transport header's fixed
    /// part and the packet was captured whole (caplen == origlen), nothing was
    /// cut: the header is malformed. decodeTransport clipped the window to
    /// the IP-given length and the header's `require` then threw *truncated*,
    /// so `isTruncated` was set on a complete capture. TCPHeader has a
    /// `totalLengthTooSmall` problem for exactly this (TCPHeader.swift, `if
    /// segmentLength < Field.minimumLength`), which was unreachable from the decoder.
    @Test("a transport header cut short by the IP length, captured whole, is malformed, not truncated",
          arguments: [(UInt8(6), 10), (17, 4), (1, 4)])
    func transportShorterThanHeader(proto: UInt8, length: Int) throws {
        let bytes = Build.ipv4(totalLength: UInt16(20 + length), proto: proto) + Fixture.tcpSYN[0..<length]
        let p = decode(bytes, .raw)
        #expect(!p.isTruncated)
        #expect(p.problem?.kind == .malformed)
        if proto == 6 {
            #expect(p.problem?.reason == .totalLengthTooSmall)
        }
    }

    /// LinuxSLL.parseV1/parseV2 read through the frame reader, whose layer is
    /// `.ethernet` (PacketDecoder.decode: `ByteReader(bytes, layer: .ethernet)`),
    /// so a cut SLL header was reported as a truncated Ethernet header; the
    /// `.linuxSLL`/`.linuxSLL2` layers were never used.
    @Test("a cut Linux cooked header is reported at its own layer",
          arguments: [(LinkType.linuxSLL, Layer.linuxSLL), (.linuxSLL2, .linuxSLL2)])
    func sllTruncationLayer(linkType: LinkType, layer: Layer) throws {
        let p = decode([0, 4, 0, 1, 0, 6, 2, 0, 0, 0], linkType, originalLength: 60)
        #expect(p.isTruncated)
        #expect(p.problem?.layer == layer)
    }

    /// The IPv6 extension walk read only the next-header and length bytes of a
    /// hop-by-hop/routing/destination header and did not check the rest was
    /// captured. When the capture ended inside it, the walk succeeded and the
    /// cut was found by `ip.window(from: ip.headerLength, ...)` in
    /// decodeTransport, whose reader was made with layer `.ipv4`
    /// (`frame.window(from: link.length, layer: .ipv4)`): an IPv6 packet
    /// reported a truncated *IPv4* header, at the offset where TCP would start.
    @Test("a cut IPv6 extension header is reported as one, not as IPv4")
    func ipv6ExtensionTruncationLayer() throws {
        let bytes = Build.ipv6(payloadLength: 36, nextHeader: 0)
            + Build.ipv6Extension(nextHeader: 6, hdrExtLen: 1, body: [1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
            + Fixture.tcpSYN
        // Capture ends 4 bytes into the 16-byte hop-by-hop header.
        let p = decode(Array(bytes[0..<44]), .raw, originalLength: bytes.count)
        #expect(p.isTruncated)
        #expect(p.problem?.layer == .ipv6Extension)
        #expect(p.problem?.offset == 40 || p.problem?.offset == 44)
    }

    /// TCPOptionIterator keeps only its first error (`self.error = self.error
    /// ?? error`), and TCPHeader stores that one in `problem`. When a
    /// wrong-length option came before a snaplen cut, the truncation was
    /// dropped, so DecodedPacket.isTruncated was false although the capture cut
    /// the packet inside the TCP header. (DecodedPacket.record sets
    /// isTruncated for any truncation, even after a first problem: the intent
    /// is that a cut is never hidden.)
    @Test("a snaplen cut after a wrong-length option still marks the packet truncated")
    func truncationAfterBadOption() throws {
        let options: [UInt8] = [2, 3, 5] + Opt.nop + Opt.timestamps(1, 2) + Opt.nop + Opt.nop
        let bytes = Build.ipv4(totalLength: 56, proto: 6)
            + Build.tcp(sourcePort: 1, destinationPort: 2, sequence: 3, acknowledgment: 4, dataOffset: 9, flags: 2,
                        window: 5, options: options)
        // Cut inside the timestamps option (which starts at 40 + 4).
        let p = decode(Array(bytes[0..<48]), .raw, originalLength: bytes.count)
        #expect(p.problem?.reason == .optionBadLength)
        #expect(p.isTruncated)
    }

    /// IPv4Address.init?(_ text:) ("Parses a dotted quad; nil for anything
    /// else", TraceModel/IPAddress.swift) used `UInt8(part)`, which accepts a
    /// leading "+": "+1.+2.+3.+4" parsed as 1.2.3.4.
    @Test("IPv4Address rejects octets with a sign", arguments: ["+1.2.3.4", "1.2.3.+4", "+1.+2.+3.+4", "1.+0.2.3"])
    func ipv4PlusSign(text: String) {
        #expect(IPv4Address(text) == nil)
    }
}

@Suite("Cut headers (IPv6Header.extensionCut, TCPHeader.optionsCut)")
struct CutHeaderTests {
    /// Hop-by-hop (16 bytes) -> TCP, captured up to `n` bytes.
    private static let hopByHopTCP: [UInt8] = Build.ipv6(payloadLength: 36, nextHeader: 0)
        + Build.ipv6Extension(nextHeader: 6, hdrExtLen: 1, body: [1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        + Fixture.tcpSYN

    @Test("a capture ending inside a hop-by-hop header keeps the fixed header and reports the cut", arguments: [42, 44, 55])
    func extensionCut(n: Int) throws {
        let r = parse(Array(Self.hopByHopTCP[0..<n]), layer: .ipv6) { r throws(DecodeError) in
            try IPv6Header(parsing: r, frameLength: Self.hopByHopTCP.count)
        }
        let ip = try #require(r.value)
        #expect(ip.extensionCut == DecodeError(.truncated, .ipv6Extension, offset: 40, .short, value: 56 - n))
        #expect(ip.source == IPv6Address(high: 0x2001_0db8_0000_0000, low: 1))
        #expect(ip.upperProtocol == 6)

        let p = decode(Array(Self.hopByHopTCP[0..<n]), .raw, originalLength: Self.hopByHopTCP.count)
        #expect(p.ipv6 == ip)
        #expect(p.problem == ip.extensionCut)
        #expect(p.isTruncated)
        #expect(p.transport == .truncated(proto: 6, sourcePort: nil, destinationPort: nil))
    }

    @Test("a whole extension chain has no cut")
    func noCut() throws {
        let ip = try #require(decode(Self.hopByHopTCP, .raw).ipv6)
        #expect(ip.extensionCut == nil)
        #expect(ip.headerLength == 56)
    }

    /// When the cut extension header names another extension header as its
    /// next header, the walk stops with `upperProtocol` set to that
    /// extension header's number, and decodeTransport files the packet as
    /// `.other(proto: 60)`: a destination-options header reported as the
    /// transport protocol. Nothing after the cut is known, so the transport
    /// should say it was cut (or nothing), not name a protocol.
    @Test("a cut extension header followed by another extension header does not name it as the transport",
          arguments: [UInt8(60), 43, 44, 0])
    func extensionCutBeforeAnotherExtension(next: UInt8) throws {
        let bytes = Build.ipv6(payloadLength: 44, nextHeader: 0)
            + Build.ipv6Extension(nextHeader: next, hdrExtLen: 1, body: [1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
            + Build.ipv6Extension(nextHeader: 6, hdrExtLen: 0, body: [1, 4, 0, 0, 0, 0])
            + Fixture.tcpSYN
        let p = decode(Array(bytes[0..<48]), .raw, originalLength: bytes.count)
        #expect(p.isTruncated)
        #expect(p.problem?.layer == .ipv6Extension)
        switch p.transport {
        case .none, .truncated: break
        default: Issue.record("transport after a cut extension header is \(p.transport)")
        }
    }

    @Test("TCPHeader.optionsCut: set when the capture ends inside the options, also after an earlier fault")
    func optionsCut() throws {
        let clean = Opt.mss(1460) + Opt.timestamps(1, 2) + Opt.nop + Opt.nop
        let faulty: [UInt8] = [2, 3, 5] + Opt.nop + Opt.timestamps(1, 2) + Opt.nop + Opt.nop
        for options in [clean, faulty] {
            let segment = Build.tcp(sourcePort: 1, destinationPort: 2, sequence: 3, acknowledgment: 4,
                                    dataOffset: 9, flags: 2, window: 5, options: options)
            let whole = try #require(parse(segment, layer: .tcp) { r throws(DecodeError) in
                try TCPHeader(parsing: r, segmentLength: 36)
            }.value)
            #expect(!whole.optionsCut)
            for n in 20..<36 {
                let cut = try #require(parse(Array(segment[0..<n]), layer: .tcp) { r throws(DecodeError) in
                    try TCPHeader(parsing: r, segmentLength: 36)
                }.value)
                // The faulty header's bad option ends at 23: a cut before then hides nothing.
                #expect(cut.optionsCut, "\(options) cut at \(n)")
            }
        }
    }
}
