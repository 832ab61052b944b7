import PacketWire
import Testing
import TraceModel

/// A whole packet, and where its layers start and end, for the prefix sweep.
struct PrefixFixture: Sendable, CustomTestStringConvertible {
    enum Transport: Sendable {
        case tcp
        case udp
        /// Quote bytes needed for the quoted IP header, and for its ports.
        case icmp(quoteHeader: Int, quotePorts: Int)

        var fixedLength: Int { if case .tcp = self { 20 } else { 8 } }
    }

    var name: String
    var linkType: LinkType
    var bytes: [UInt8]
    /// Bytes the link-layer decoder needs.
    var linkNeeded: Int
    /// Bytes needed before the network header can decode (for IPv6 with
    /// extension headers, the fixed header and the first two bytes of each).
    var networkNeeded: Int
    /// Bytes needed before the network header equals the full decode's
    /// (options and every extension header in). Between `networkNeeded` and
    /// this, the capture ends inside an IPv6 extension header; see `everyPrefix`.
    var networkComplete: Int? = nil
    var transportStart: Int
    var transport: Transport
    /// End of the transport header, options included.
    var headersEnd: Int
    /// TCP options and the absolute offset each ends at.
    var options: [(end: Int, option: TCPOption)] = []

    var testDescription: String { name }
}

/// TCPOptions holding `options`, as `TCPOptions.init(_:)` collects them.
private func collect(_ options: [TCPOption]) -> TCPOptions {
    var o = TCPOptions()
    for option in options {
        o.count += 1
        switch option {
        case .maximumSegmentSize(let v): o.maximumSegmentSize = v
        case .windowScale(let v): o.windowScale = v
        case .sackPermitted: o.sackPermitted = true
        case .timestamps(let v, let e): o.timestampValue = v; o.timestampEchoReply = e
        case .sack(let b): o.sackBlocks = b
        case .fastOpen(_, let n): o.fastOpenCookieLength = n
        case .unknown: o.unknownCount += 1
        case .endOfList, .noOperation: break
        }
    }
    return o
}

private func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) << 8 | UInt16(b[at + 1]) }

enum PrefixFixtures {
    static let ethernetIPv4TCP: PrefixFixture = {
        let cookie: [UInt8] = [0xc0, 0x0c, 0x1e, 0x5a, 0x11, 0x22, 0x33, 0x44]
        let options = Opt.mss(1460) + Opt.sackPermitted + Opt.timestamps(0x0a0b_0c0d, 0) + Opt.nop + Opt.windowScale(7)
            + Opt.nop + Opt.nop + Opt.fastOpen(length: 10, cookie: cookie)
        let bytes = Build.ethernet(etherType: 0x0800)
            + Build.ipv4(totalLength: 76, proto: 6)
            + Build.tcp(sourcePort: 49152, destinationPort: 80, sequence: 0xffff_fff0, acknowledgment: 0,
                        dataOffset: 13, flags: 0x002, window: 64240, options: options)
            + [0x47, 0x45, 0x54, 0x20]
        // Options start at 14 + 20 + 20 = 54.
        return PrefixFixture(
            name: "Ethernet+IPv4+TCP(options)", linkType: .ethernet, bytes: bytes,
            linkNeeded: 14, networkNeeded: 34, transportStart: 34, transport: .tcp, headersEnd: 86,
            options: [(58, .maximumSegmentSize(1460)), (60, .sackPermitted), (70, .timestamps(value: 0x0a0b_0c0d, echoReply: 0)),
                      (71, .noOperation), (74, .windowScale(7)), (75, .noOperation), (76, .noOperation),
                      (86, .fastOpen(cookieOffset: 24, cookieLength: 8))])
    }()

    static let sll2IPv6TCP: PrefixFixture = {
        let options = Opt.mss(1440) + Opt.nop + Opt.windowScale(10) + Opt.sackPermitted + Opt.nop + Opt.nop
        let bytes = Build.sll2(protocolType: 0x86dd, interfaceIndex: 2, packetType: 4)
            + Build.ipv6(payloadLength: 40, nextHeader: 0)
            + Build.ipv6Extension(nextHeader: 6, hdrExtLen: 0, body: [1, 4, 0, 0, 0, 0])
            + Build.tcp(sourcePort: 443, destinationPort: 50123, sequence: 7, acknowledgment: 0xffff_ffff,
                        dataOffset: 8, flags: 0x012, window: 65535, options: options)
        // IPv6 at 20, hop-by-hop at 60, TCP at 68, options at 88.
        return PrefixFixture(
            name: "SLL2+IPv6+hop-by-hop+TCP(options)", linkType: .linuxSLL2, bytes: bytes,
            linkNeeded: 20, networkNeeded: 62, networkComplete: 68, transportStart: 68, transport: .tcp, headersEnd: 100,
            options: [(92, .maximumSegmentSize(1440)), (93, .noOperation), (96, .windowScale(10)), (98, .sackPermitted),
                      (99, .noOperation), (100, .noOperation)])
    }()

    static let vlanIPv4UDP: PrefixFixture = {
        let bytes = Build.ethernet(tags: [(0x8100, 0x0007)], etherType: 0x0800)
            + Build.ipv4(totalLength: 34, proto: 17)
            + Build.udp(sourcePort: 53, destinationPort: 33000, length: 14)
            + [1, 2, 3, 4, 5, 6]
        return PrefixFixture(
            name: "Ethernet+802.1Q+IPv4+UDP", linkType: .ethernet, bytes: bytes,
            linkNeeded: 18, networkNeeded: 38, transportStart: 38, transport: .udp, headersEnd: 46)
    }()

    static let rawICMPError: PrefixFixture = PrefixFixture(
        name: "RAW IPv4 ICMP port unreachable", linkType: .raw, bytes: ICMPTests.portUnreachable,
        linkNeeded: 1, networkNeeded: 20, transportStart: 20, transport: .icmp(quoteHeader: 20, quotePorts: 24), headersEnd: 28)

    static let sllIPv4OptionsUDP: PrefixFixture = {
        let bytes = Build.sll(packetType: 0, protocolType: 0x0800)
            + Build.ipv4(versionIHL: 0x47, totalLength: 38, flagsFragment: 0, proto: 17,
                         options: [0x94, 0x04, 0x00, 0x00, 1, 1, 1, 0])  // Router Alert, NOPs, EOL
            + Build.udp(sourcePort: 67, destinationPort: 68, length: 10) + [0xaa, 0xbb]
        return PrefixFixture(
            name: "SLL+IPv4(options)+UDP", linkType: .linuxSLL, bytes: bytes,
            linkNeeded: 16, networkNeeded: 44, transportStart: 44, transport: .udp, headersEnd: 52)
    }()

    static let nullICMPv6Error: PrefixFixture = {
        let quoted = Build.ipv6(payloadLength: 20, nextHeader: 6) + Fixture.tcpSYN[0..<8]
        let bytes = le32(30)
            + Build.ipv6(payloadLength: 56, nextHeader: 58, source: Build.v6B, destination: Build.v6A)
            + Build.icmp(type: 1, code: 4, rest: 0) + quoted
        return PrefixFixture(
            name: "NULL+IPv6+ICMPv6 unreachable", linkType: .null, bytes: bytes,
            linkNeeded: 4, networkNeeded: 44, transportStart: 44, transport: .icmp(quoteHeader: 40, quotePorts: 44), headersEnd: 52)
    }()

    static let loopIPv6FragmentUDP: PrefixFixture = {
        // An atomic fragment (offset 0, M=0, RFC 6946).
        let bytes = be32(24)
            + Build.ipv6(payloadLength: 20, nextHeader: 44)
            + Build.ipv6Fragment(nextHeader: 17, offsetFlags: 0x0000, identification: 0x0102_0304)
            + Build.udp(sourcePort: 123, destinationPort: 123, length: 12) + [9, 9, 9, 9]
        return PrefixFixture(
            name: "LOOP+IPv6+fragment+UDP", linkType: .loop, bytes: bytes,
            linkNeeded: 4, networkNeeded: 52, transportStart: 52, transport: .udp, headersEnd: 60)
    }()

    static let all: [PrefixFixture] = [ethernetIPv4TCP, sll2IPv6TCP, vlanIPv4UDP, rawICMPError, sllIPv4OptionsUDP,
                                       nullICMPv6Error, loopIPv6FragmentUDP]
}

@Suite("Truncation")
struct TruncationTests {
    @Test("the whole fixture decodes without a problem", arguments: PrefixFixtures.all)
    func fullDecode(f: PrefixFixture) throws {
        let full = decode(f.bytes, f.linkType)
        #expect(full.problem == nil)
        #expect(!full.isTruncated)
        #expect(full.link?.length == f.linkNeeded || f.linkType == .raw)
        if case .tcp = f.transport {
            let tcp = try #require(full.tcp)
            #expect(tcp.options == collect(f.options.map(\.option)))
            #expect(f.transportStart + tcp.headerLength == f.headersEnd)
        }
    }

    /// Every prefix `bytes[0..<n]`, captured from a packet of `bytes.count` on the wire.
    ///
    /// Before the end of the last header (`headersEnd`) the decode must be
    /// truncated, with every layer before the cut equal to the full decode's.
    /// From `headersEnd` on only payload is missing, and the decode equals the
    /// full one, except an ICMP error's quote, which is optional: cut, it is
    /// left out (or kept without ports) and that is no truncation.
    @Test("every truncated prefix", arguments: PrefixFixtures.all)
    func everyPrefix(f: PrefixFixture) throws {
        let full = decode(f.bytes, f.linkType)
        for n in 0..<f.bytes.count {
            let p = decode(Array(f.bytes[0..<n]), f.linkType, originalLength: f.bytes.count)
            let here = Comment(rawValue: "\(f.name), \(n) of \(f.bytes.count) bytes captured")

            if n >= f.headersEnd {
                if case .icmp(let quoteHeader, let quotePorts) = f.transport {
                    checkICMPPrefix(p, full: full, quoteBytes: n - f.headersEnd, quoteHeader: quoteHeader, quotePorts: quotePorts, here)
                } else {
                    #expect(p == full, here)
                }
                continue
            }

            #expect(p.isTruncated, here)
            #expect(p.problem?.kind == .truncated, here)
            #expect(p.problem?.reason == .short, here)
            #expect((p.problem?.value ?? 0) >= 1, here)

            guard n >= f.linkNeeded else {
                #expect(p.link == nil, here)
                #expect(p.network.isNone && p.transport.isNone, here)
                continue
            }
            #expect(p.link == full.link, here)

            guard n >= f.networkNeeded else {
                #expect(p.network.isNone && p.transport.isNone, here)
                continue
            }
            if let complete = f.networkComplete, n < complete {
                // Cut inside an IPv6 extension header. Either way is right: no
                // network layer, or the fixed header kept with the cut
                // reported; the problem is the extension header's, and no
                // transport header was reached.
                if let got = p.ipv6, let want = full.ipv6 {
                    #expect(got.source == want.source && got.destination == want.destination, here)
                    #expect(got.payloadLength == want.payloadLength && got.nextHeader == want.nextHeader, here)
                } else {
                    #expect(p.network.isNone, here)
                }
                #expect(p.problem?.layer == .ipv6Extension, here)
                #expect(p.transport.isNone || p.transport == .truncated(proto: 6, sourcePort: nil, destinationPort: nil), here)
                continue
            }
            #expect(p.network == full.network, here)

            let captured = n - f.transportStart
            if captured < f.transport.fixedLength {
                let ports: (UInt16?, UInt16?) = captured >= 4
                    ? (u16(f.bytes, f.transportStart), u16(f.bytes, f.transportStart + 2)) : (nil, nil)
                let proto: UInt8 = switch full.transport {
                case .tcp: 6
                case .udp: 17
                case .icmp(let m): m.isV6 ? 58 : 1
                default: 0
                }
                if case .icmp = f.transport {
                    // ICMP has no ports; what the decoder puts there (type and
                    // code, checksum) is not asserted, only the protocol.
                    guard case .truncated(let got, _, _) = p.transport else {
                        Issue.record("transport \(p.transport) is not .truncated: \(here)")
                        continue
                    }
                    #expect(got == proto, here)
                } else {
                    #expect(p.transport == .truncated(proto: proto, sourcePort: ports.0, destinationPort: ports.1), here)
                }
                continue
            }

            // Only TCP has a header longer than its fixed part: n is inside the options.
            let got = try #require(p.tcp, here)
            let want = try #require(full.tcp)
            #expect(got.sourcePort == want.sourcePort && got.destinationPort == want.destinationPort, here)
            #expect(got.sequence == want.sequence && got.acknowledgment == want.acknowledgment, here)
            #expect(got.flags == want.flags && got.window == want.window, here)
            #expect(got.headerLength == want.headerLength, here)
            #expect(got.payloadLength == want.payloadLength, here)
            #expect(got.optionsOffset == want.optionsOffset, here)
            #expect(got.options == collect(f.options.filter { $0.end <= n }.map(\.option)), here)
            #expect(got.problem?.kind == .truncated, here)
            #expect(got.problem?.layer == .tcpOption, here)
            #expect(p.problem == got.problem, here)
        }
    }

    private func checkICMPPrefix(_ p: DecodedPacket, full: DecodedPacket, quoteBytes q: Int, quoteHeader: Int, quotePorts: Int,
                                 _ here: Comment) {
        #expect(!p.isTruncated, here)
        #expect(p.problem == nil, here)
        #expect(p.link == full.link && p.network == full.network, here)
        guard let m = p.icmp, let w = full.icmp else {
            Issue.record("no ICMP message: \(here)")
            return
        }
        #expect(m.type == w.type && m.code == w.code && m.checksum == w.checksum && m.rest == w.rest, here)
        if q < quoteHeader {
            #expect(m.quoted == nil, here)
        } else if q < quotePorts {
            var noPorts = w.quoted
            noPorts?.sourcePort = nil
            noPorts?.destinationPort = nil
            #expect(m.quoted != nil && m.quoted == noPorts, here)
        } else {
            #expect(m.quoted == w.quoted, here)
        }
    }

    @Test("a packet shorter on the wire than its IPv4 total length is malformed, not truncated")
    func shortPacketsAreNotTruncations() {
        // The same prefixes, but as if the packet on the wire had been that short: the
        // IP length then lies about the packet, which is malformed, not a snaplen cut.
        for f in [PrefixFixtures.ethernetIPv4TCP, PrefixFixtures.vlanIPv4UDP, PrefixFixtures.rawICMPError] {
            for n in (f.networkNeeded)..<f.bytes.count {
                let p = decode(Array(f.bytes[0..<n]), f.linkType)
                #expect(!p.isTruncated, "\(f.name) \(n)")
                #expect(p.problem == DecodeError(.malformed, .ipv4, offset: f.networkNeeded - 20 + 2,
                                                 .totalLengthBeyondPacket, value: f.bytes.count - (f.networkNeeded - 20)),
                        "\(f.name) \(n)")
            }
        }
    }
}

// MARK: - Each header's parser on prefixes shorter than its minimum

/// A header parser, a valid instance of its header, and the bytes it needs.
struct HeaderCase: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    /// The fewest bytes the parser accepts.
    var minimum: Int
    var run: @Sendable ([UInt8]) -> Result<Void, DecodeError>

    var testDescription: String { name }

    static func link(_ name: String, _ linkType: LinkType, _ bytes: [UInt8]) -> HeaderCase {
        HeaderCase(name: name, bytes: bytes, minimum: bytes.count) { b in
            parse(b, layer: .ethernet) { r throws(DecodeError) in _ = try LinkHeader.parse(r, linkType: linkType) }
        }
    }

    static let all: [HeaderCase] = [
        link("Ethernet", .ethernet, Build.ethernet(etherType: 0x0800)),
        link("Ethernet+802.1Q", .ethernet, Build.ethernet(tags: [(0x8100, 5)], etherType: 0x0800)),
        link("Ethernet QinQ", .ethernet, Build.ethernet(tags: [(0x88a8, 5), (0x8100, 6)], etherType: 0x86dd)),
        link("SLL", .linuxSLL, Build.sll(packetType: 0, protocolType: 0x0800)),
        link("SLL2", .linuxSLL2, Build.sll2(protocolType: 0x0800, interfaceIndex: 1, packetType: 0)),
        link("NULL", .null, le32(2)),
        link("LOOP", .loop, be32(2)),
        link("RAW", .raw, [0x45]),
        HeaderCase(name: "IPv4", bytes: Build.ipv4(totalLength: 20, proto: 6), minimum: 20) { b in
            parse(b) { r throws(DecodeError) in _ = try IPv4Header(parsing: r, frameLength: 1500) }
        },
        HeaderCase(name: "IPv4 with options (IHL 6)", bytes: Build.ipv4(versionIHL: 0x46, totalLength: 24, proto: 6, options: [1, 1, 1, 0]),
                   minimum: 24) { b in
            parse(b) { r throws(DecodeError) in _ = try IPv4Header(parsing: r, frameLength: 1500) }
        },
        HeaderCase(name: "IPv6", bytes: Build.ipv6(payloadLength: 0, nextHeader: 59), minimum: 40) { b in
            parse(b, layer: .ipv6) { r throws(DecodeError) in _ = try IPv6Header(parsing: r, frameLength: 1500) }
        },
        HeaderCase(name: "TCP", bytes: Fixture.tcpSYN, minimum: 20) { b in
            parse(b, layer: .tcp) { r throws(DecodeError) in _ = try TCPHeader(parsing: r, segmentLength: 20) }
        },
        HeaderCase(name: "UDP", bytes: Build.udp(sourcePort: 1, destinationPort: 2, length: 8), minimum: 8) { b in
            parse(b, layer: .udp) { r throws(DecodeError) in _ = try UDPHeader(parsing: r, available: 8) }
        },
        HeaderCase(name: "ICMP", bytes: Build.icmp(type: 3, code: 3), minimum: 8) { b in
            parse(b, layer: .icmp) { r throws(DecodeError) in _ = try ICMPMessage(parsing: r, isV6: false) }
        },
        HeaderCase(name: "ICMPv6", bytes: Build.icmp(type: 1, code: 0), minimum: 8) { b in
            parse(b, layer: .icmpv6) { r throws(DecodeError) in _ = try ICMPMessage(parsing: r, isV6: true) }
        },
        HeaderCase(name: "quoted IPv4", bytes: Build.ipv4(totalLength: 28, proto: 17), minimum: 20) { b in
            parse(b, layer: .quotedIP) { r throws(DecodeError) in _ = try QuotedDatagram(parsing: r) }
        },
        HeaderCase(name: "quoted IPv6", bytes: Build.ipv6(payloadLength: 8, nextHeader: 17), minimum: 40) { b in
            parse(b, layer: .quotedIP) { r throws(DecodeError) in _ = try QuotedDatagram(parsing: r) }
        },
    ]
}

@Suite("Header parsers on short input")
struct HeaderPrefixTests {
    @Test("the whole header parses", arguments: HeaderCase.all)
    func whole(h: HeaderCase) {
        #expect(h.bytes.count == h.minimum)
        #expect(h.run(h.bytes).error == nil)
    }

    @Test("every prefix shorter than the minimum throws a truncation", arguments: HeaderCase.all)
    func shorter(h: HeaderCase) {
        for n in 0..<h.minimum {
            let e = h.run(Array(h.bytes[0..<n])).error
            #expect(e?.kind == .truncated, "\(h.name), \(n) bytes")
            #expect(e?.reason == .short, "\(h.name), \(n) bytes")
            #expect((e?.value ?? 0) >= 1, "\(h.name), \(n) bytes")
            #expect(e?.isTruncated == true, "\(h.name), \(n) bytes")
        }
    }
}
