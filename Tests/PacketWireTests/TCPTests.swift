import PacketWire
import Testing
import TraceModel

/// Parses a lone TCP header (origin 0, so option offsets are 20 + index).
private func tcp(_ bytes: [UInt8], segmentLength: Int? = nil) throws -> TCPHeader {
    try #require(parse(bytes, layer: .tcp) { r throws(DecodeError) in
        try TCPHeader(parsing: r, segmentLength: segmentLength ?? bytes.count)
    }.value)
}

/// A TCP header with `options`, whose data offset the caller states.
private func withOptions(dataOffset: UInt16, _ options: [UInt8]) -> [UInt8] {
    Build.tcp(sourcePort: 443, destinationPort: 50000, sequence: 1, acknowledgment: 2,
              dataOffset: dataOffset, flags: 0x012, window: 1024, options: options)
}

@Suite("TCP header")
struct TCPHeaderTests {
    @Test("every fixed field")
    func fields() throws {
        let bytes = Build.tcp(sourcePort: 0xfffe, destinationPort: 1, sequence: 0xffff_fffe, acknowledgment: 0x8000_0001,
                              dataOffset: 5, flags: 0x018, window: 0xabcd, checksum: 0x0102, urgentPointer: 0x0304)
        let h = try tcp(bytes, segmentLength: 120)
        #expect(h.sourcePort == 0xfffe)
        #expect(h.destinationPort == 1)
        #expect(h.sequence == SequenceNumber(0xffff_fffe))
        #expect(h.acknowledgment == SequenceNumber(0x8000_0001))
        #expect(h.headerLength == 20)
        #expect(h.flags == [.psh, .ack])
        #expect(h.window == 0xabcd)
        #expect(h.checksum == 0x0102)
        #expect(h.urgentPointer == 0x0304)
        #expect(h.options == TCPOptions())
        #expect(h.payloadLength == 100)
        #expect(h.optionsOffset == 20)
        #expect(h.problem == nil)
    }

    static let flagBits: [(raw: UInt16, flag: TCPFlags, letter: String)] = [
        (0x001, .fin, "F"), (0x002, .syn, "S"), (0x004, .rst, "R"), (0x008, .psh, "P"), (0x010, .ack, "."),
        (0x020, .urg, "U"), (0x040, .ece, "E"), (0x080, .cwr, "W"), (0x100, .ae, "e"),
    ]

    @Test("each of the nine flag bits decodes alone", arguments: flagBits)
    func flagBit(raw: UInt16, flag: TCPFlags, letter: String) throws {
        #expect(flag.rawValue == raw)
        let h = try tcp(Build.tcp(sourcePort: 1, destinationPort: 2, sequence: 0, acknowledgment: 0,
                                  dataOffset: 5, flags: raw, window: 0))
        #expect(h.flags == flag)
        #expect(h.flags.tcpdumpNotation == letter)
    }

    @Test("the three reserved bits are not flags")
    func reservedBits() throws {
        // Bits 9-11 of the offset/flags word (0x0e00) are reserved.
        let h = try tcp(Build.tcp(sourcePort: 1, destinationPort: 2, sequence: 0, acknowledgment: 0,
                                  dataOffset: 5, flags: 0x0e02, window: 0))
        #expect(h.flags == .syn)
        #expect(h.headerLength == 20)
        #expect(h.problem == nil)
    }

    static let notations: [(raw: UInt16, text: String)] = [
        (0x002, "S"), (0x012, "S."), (0x010, "."), (0x018, "P."), (0x011, "F."), (0x019, "FP."),
        (0x004, "R"), (0x014, "R."), (0x000, "none"), (0x003, "FS"),
        (0x0c2, "SEW"), (0x052, "S.E"), (0x1d2, "S.EWe"), (0x038, "P.U"), (0x1ff, "FSRP.UEWe"),
    ]

    @Test("tcpdump notation", arguments: notations)
    func notation(raw: UInt16, text: String) {
        #expect(TCPFlags(rawValue: raw).tcpdumpNotation == text)
    }

    @Test("data offset below 5 is kept in problem; ports and fixed fields still decoded", arguments: [UInt16(0), 1, 2, 3, 4])
    func dataOffsetTooSmall(dataOffset: UInt16) throws {
        let segment = Build.tcp(sourcePort: 1111, destinationPort: 2222, sequence: 3, acknowledgment: 4,
                                dataOffset: dataOffset, flags: 0x002, window: 5)
        let h = try tcp(segment)
        #expect(h.problem == DecodeError(.malformed, .tcp, offset: 12, .dataOffsetTooSmall, value: Int(dataOffset) * 4))
        #expect(h.headerLength == Int(dataOffset) * 4)
        #expect(h.sourcePort == 1111 && h.destinationPort == 2222)
        #expect(h.flags == .syn)
        #expect(h.options == TCPOptions())

        // Through the decoder: the transport is still TCP, and the problem is the packet's.
        let p = decode(Build.ipv4(totalLength: 40, proto: 6) + segment, .raw)
        #expect(p.tcp?.sourcePort == 1111)
        #expect(p.tcp?.destinationPort == 2222)
        #expect(p.problem == DecodeError(.malformed, .tcp, offset: 32, .dataOffsetTooSmall, value: Int(dataOffset) * 4))
        #expect(!p.isTruncated)
    }

    @Test("data offset beyond the segment is kept in problem", arguments: [UInt16(6), 15])
    func dataOffsetBeyondSegment(dataOffset: UInt16) throws {
        let segment = Build.tcp(sourcePort: 1111, destinationPort: 2222, sequence: 3, acknowledgment: 4,
                                dataOffset: dataOffset, flags: 0x010, window: 5)
        let h = try tcp(segment)
        #expect(h.problem == DecodeError(.malformed, .tcp, offset: 12, .dataOffsetBeyondSegment, value: Int(dataOffset) * 4))
        #expect(h.sourcePort == 1111)
        #expect(h.payloadLength == 0)

        let p = decode(Build.ethernet(etherType: 0x0800) + Build.ipv4(totalLength: 40, proto: 6) + segment, .ethernet)
        #expect(p.tcp?.destinationPort == 2222)
        #expect(p.problem == DecodeError(.malformed, .tcp, offset: 46, .dataOffsetBeyondSegment, value: Int(dataOffset) * 4))
        #expect(!p.isTruncated)
    }

    @Test("payloadLength comes from the IP length, not the captured bytes")
    func payloadFromIPLength() throws {
        let bytes = Build.ipv4(totalLength: 1500, proto: 6)
            + withOptions(dataOffset: 8, Opt.nop + Opt.nop + Opt.timestamps(1, 2)) + [0x47, 0x45, 0x54]
        let p = decode(bytes, .raw, originalLength: 1500)
        #expect(p.tcp?.headerLength == 32)
        #expect(p.tcp?.payloadLength == 1448)
        #expect(p.problem == nil)

        let v6 = Build.ipv6(payloadLength: 1000, nextHeader: 6) + Fixture.tcpSYN
        #expect(decode(v6, .raw, originalLength: 1040).tcp?.payloadLength == 980)
    }
}

@Suite("TCP options")
struct TCPOptionTests {
    @Test("a Linux SYN: MSS, SACK-permitted, timestamps, NOP, window scale")
    func linuxSYN() throws {
        let options = Opt.mss(1460) + Opt.sackPermitted + Opt.timestamps(0x0102_0304, 0) + Opt.nop + Opt.windowScale(7)
        #expect(options.count == 20)
        let h = try tcp(withOptions(dataOffset: 10, options))
        #expect(h.headerLength == 40)
        #expect(h.options.maximumSegmentSize == 1460)
        #expect(h.options.sackPermitted)
        #expect(h.options.timestampValue == 0x0102_0304)
        #expect(h.options.timestampEchoReply == 0)
        #expect(h.options.windowScale == 7)
        #expect(h.options.sackBlocks == nil)
        #expect(h.options.fastOpenCookieLength == nil)
        #expect(h.options.unknownCount == 0)
        #expect(h.options.count == 5)
        #expect(h.problem == nil)
        #expect(walkOptions(options).options == [
            .maximumSegmentSize(1460), .sackPermitted, .timestamps(value: 0x0102_0304, echoReply: 0),
            .noOperation, .windowScale(7),
        ])
    }

    @Test("End of Option List stops the walk; bytes after it are not read")
    func endOfList() throws {
        // Garbage after EOL (a kind-2 option with length 1) must not be a problem.
        let options = Opt.mss(536) + Opt.eol + [2, 1, 0xff]
        let h = try tcp(withOptions(dataOffset: 7, options))
        #expect(h.options.maximumSegmentSize == 536)
        #expect(h.options.count == 2)
        #expect(h.problem == nil)
        #expect(walkOptions(options).options == [.maximumSegmentSize(536), .endOfList])
    }

    @Test("NOPs")
    func nops() throws {
        let h = try tcp(withOptions(dataOffset: 6, Opt.nop + Opt.nop + Opt.nop + Opt.nop))
        #expect(h.options.count == 4)
        #expect(h.options.unknownCount == 0)
        #expect(h.problem == nil)
    }

    @Test("NOP, NOP, Timestamps (the header's shortcut) decodes as the option walk does, whole or cut")
    func nopNopTimestamps() throws {
        let layouts: [[UInt8]] = [
            Opt.nop + Opt.nop + Opt.timestamps(0xdead_beef, 7),
            Opt.nop + Opt.nop + [8, 11] + Array(repeating: 0, count: 8),  // wrong length: not the shortcut
            Opt.nop + Opt.timestamps(1, 2) + Opt.nop,
        ]
        for options in layouts {
            let bytes = withOptions(dataOffset: 8, options)
            for cut in (20...bytes.count).reversed() {
                let captured = Array(bytes[..<cut])
                let header = parse(captured, layer: .tcp) { r throws(DecodeError) in try TCPHeader(parsing: r, segmentLength: bytes.count) }
                guard case .success(let h) = header else { Issue.record("\(options) cut at \(cut)"); continue }
                // The walk, over the same captured bytes.
                let walked = captured.withUnsafeBytes { raw -> (TCPOptions, DecodeError?, Bool) in
                    var it = h.optionIterator(in: raw)
                    let o = TCPOptions(&it)
                    return (o, it.error, it.wasCut)
                }
                #expect(h.options == walked.0 && h.problem == walked.1 && h.optionsCut == walked.2, "\(options) cut at \(cut)")
            }
        }
        let h = try tcp(withOptions(dataOffset: 8, Opt.nop + Opt.nop + Opt.timestamps(0xdead_beef, 7)))
        #expect(h.options.timestampValue == 0xdead_beef && h.options.timestampEchoReply == 7 && h.options.count == 3)
    }

    @Test("window scale, alone")
    func windowScale() throws {
        let h = try tcp(withOptions(dataOffset: 6, Opt.nop + Opt.windowScale(14)))
        #expect(h.options.windowScale == 14)
        #expect(h.problem == nil)
    }

    static let sackBlocks: [[(UInt32, UInt32)]] = [
        [(1000, 2000)],
        [(1000, 2000), (3000, 4000)],
        [(0xffff_ff00, 0x0000_0100), (5, 6), (7, 8)],
        [(10, 20), (30, 40), (50, 60), (70, 80)],
    ]

    @Test("SACK with 1 to 4 blocks", arguments: sackBlocks)
    func sack(blocks: [(UInt32, UInt32)]) throws {
        // NOP NOP aligns the 2 + 8n byte option to a 4-byte boundary.
        let length = UInt8(2 + 8 * blocks.count)
        let options = Opt.nop + Opt.nop + Opt.sack(length: length, blocks)
        let dataOffset = UInt16(5 + options.count / 4)
        let h = try tcp(withOptions(dataOffset: dataOffset, options))
        let got = try #require(h.options.sackBlocks)
        #expect(got.count == blocks.count)
        for (i, b) in blocks.enumerated() {
            #expect(got[i].left == SequenceNumber(b.0))
            #expect(got[i].right == SequenceNumber(b.1))
        }
        #expect(h.options.count == 3)
        #expect(h.problem == nil)
        guard case .sack(let walked)? = walkOptions(options).options.last else {
            Issue.record("no SACK option walked")
            return
        }
        #expect(walked == got)
    }

    @Test("SACKBlocks equality looks at used blocks only")
    func sackBlocksEquality() throws {
        let a = try tcp(withOptions(dataOffset: 8, Opt.nop + Opt.nop + Opt.sack(length: 10, [(1, 2)]))).options.sackBlocks
        let b = try tcp(withOptions(dataOffset: 8, Opt.nop + Opt.nop + Opt.sack(length: 10, [(1, 3)]))).options.sackBlocks
        #expect(a != nil && a != b)
        #expect(a == a)
    }

    @Test("timestamps")
    func timestamps() throws {
        let h = try tcp(withOptions(dataOffset: 8, Opt.nop + Opt.nop + Opt.timestamps(0xffff_ffff, 0x8000_0000)))
        #expect(h.options.timestampValue == 0xffff_ffff)
        #expect(h.options.timestampEchoReply == 0x8000_0000)
        #expect(h.problem == nil)
    }

    @Test("Fast Open cookie request (length 2)")
    func fastOpenRequest() throws {
        let options = Opt.fastOpen(length: 2, cookie: []) + Opt.nop + Opt.nop
        let h = try tcp(withOptions(dataOffset: 6, options))
        #expect(h.options.fastOpenCookieLength == 0)
        #expect(h.options.unknownCount == 0)
        #expect(h.problem == nil)
        #expect(walkOptions(options).options.first == .fastOpen(cookieOffset: 2, cookieLength: 0))
    }

    @Test("Fast Open cookie (length 10: an 8-byte cookie)")
    func fastOpenCookie() throws {
        let cookie: [UInt8] = [0xc0, 0x0c, 0x1e, 0x5a, 0x11, 0x22, 0x33, 0x44]
        let options = Opt.nop + Opt.nop + Opt.fastOpen(length: 10, cookie: cookie)
        let h = try tcp(withOptions(dataOffset: 8, options))
        #expect(h.options.fastOpenCookieLength == 8)
        #expect(h.problem == nil)
        #expect(walkOptions(options).options.last == .fastOpen(cookieOffset: 4, cookieLength: 8))
    }

    @Test("an unknown kind is kept and counted", arguments: [UInt8(30), 19, 253, 254, 255])
    func unknownKind(kind: UInt8) throws {
        let options: [UInt8] = [kind, 4, 0xaa, 0xbb] + Opt.mss(1400)
        let h = try tcp(withOptions(dataOffset: 7, options))
        #expect(h.options.unknownCount == 1)
        #expect(h.options.maximumSegmentSize == 1400)
        #expect(h.options.count == 2)
        #expect(h.problem == nil)
        #expect(walkOptions(options).options.first == .unknown(kind: kind, dataOffset: 2, dataLength: 2))
    }

    @Test("an option length below 2 is malformed and stops the walk", arguments: [UInt8(0), 1])
    func lengthTooSmall(length: UInt8) throws {
        let options: [UInt8] = Opt.nop + [2, length] + Opt.nop + Opt.windowScale(3) + Opt.nop
        let h = try tcp(withOptions(dataOffset: 7, options))
        #expect(h.problem == DecodeError(.malformed, .tcpOption, offset: 22, .optionLengthTooSmall, value: Int(length)))
        #expect(h.options.count == 1)
        #expect(h.options.windowScale == nil)
        // Ports and fixed fields stay.
        #expect(h.sourcePort == 443)
        #expect(h.headerLength == 28)
    }

    @Test("an option overrunning the header is malformed")
    func overrunsHeader() throws {
        // NOP NOP, then an MSS (length 4) starting 2 bytes before the end of the options.
        let options = Opt.nop + Opt.nop + Opt.mss(1460)
        let h = try tcp(withOptions(dataOffset: 6, options), segmentLength: 100)
        #expect(h.problem == DecodeError(.malformed, .tcpOption, offset: 23, .optionBeyondHeader, value: 4))
        #expect(h.options.count == 2)
        #expect(h.options.maximumSegmentSize == nil)
    }

    @Test("an option kind in the last option byte, with no room for its length, is malformed")
    func kindInLastByte() throws {
        let h = try tcp(withOptions(dataOffset: 6, Opt.nop + Opt.nop + Opt.nop + [8]))
        #expect(h.problem == DecodeError(.malformed, .tcpOption, offset: 23, .optionBeyondHeader, value: 2))
        #expect(h.options.count == 3)
    }

    static let wrongLengths: [(option: [UInt8], note: String)] = [
        ([2, 3, 5], "MSS length 3"),
        ([2, 5, 5, 0xb4, 0], "MSS length 5"),
        ([3, 2], "window scale length 2"),
        ([3, 4, 7, 0], "window scale length 4"),
        ([4, 3, 0], "SACK-permitted length 3"),
        ([5, 2], "SACK length 2 (no block)"),
        ([5, 6, 0, 0, 0, 1], "SACK length 6 (half a block)"),
        ([8, 6, 0, 0, 0, 1], "timestamps length 6"),
        ([8, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0], "timestamps length 12"),
    ]

    @Test("a known option with the wrong length is malformed, kept as unknown, and the walk goes on", arguments: wrongLengths)
    func wrongLength(option: [UInt8], note: String) throws {
        // The bad option first, then a window scale the walk must still reach, then NOP padding.
        var options = option + Opt.windowScale(9)
        while options.count % 4 != 0 { options += Opt.nop }
        let h = try tcp(withOptions(dataOffset: UInt16(5 + options.count / 4), options))
        #expect(h.problem == DecodeError(.malformed, .tcpOption, offset: 21, .optionBadLength, value: Int(option[1])))
        #expect(h.options.windowScale == 9)
        #expect(h.options.unknownCount == 1)
        #expect(h.options.maximumSegmentSize == nil)
        #expect(h.options.sackBlocks == nil)
        #expect(h.options.timestampValue == nil)
        #expect(!h.options.sackPermitted)
        let walked = walkOptions(options)
        #expect(walked.options.first == .unknown(kind: option[0], dataOffset: 2, dataLength: option.count - 2))
        #expect(walked.options.dropFirst().first == .windowScale(9))
        #expect(walked.error?.reason == .optionBadLength)
    }

    @Test("only the first fault is kept when several options are bad")
    func firstFaultKept() throws {
        let options: [UInt8] = [2, 3, 5] + [3, 2] + [4, 3, 0] + [1, 1, 1, 1]
        let h = try tcp(withOptions(dataOffset: 8, options))
        #expect(h.problem == DecodeError(.malformed, .tcpOption, offset: 21, .optionBadLength, value: 3))
        #expect(h.options.unknownCount == 3)
        #expect(h.options.count == 7)
    }

    @Test("options cut by the snaplen: truncated, earlier options kept")
    func cutBySnaplen() throws {
        let options = Opt.mss(1460) + Opt.sackPermitted + Opt.timestamps(77, 0) + Opt.nop + Opt.windowScale(7)
        let full = Build.ethernet(etherType: 0x0800) + Build.ipv4(totalLength: 60, proto: 6) + withOptions(dataOffset: 10, options)
        // Cut 3 bytes into the timestamps option (which starts at 14 + 20 + 20 + 6 = 60).
        let p = decode(Array(full[0..<63]), .ethernet, originalLength: full.count)
        let h = try #require(p.tcp)
        #expect(h.options.maximumSegmentSize == 1460)
        #expect(h.options.sackPermitted)
        #expect(h.options.timestampValue == nil)
        #expect(h.options.windowScale == nil)
        #expect(h.options.count == 2)
        #expect(h.problem == DecodeError(.truncated, .tcpOption, offset: 60, .short, value: 7))
        #expect(p.problem == h.problem)
        #expect(p.isTruncated)
    }

    @Test("a cut between options, and a cut at the length byte, are both truncations")
    func cutAtOptionBoundaries() throws {
        let options = Opt.mss(1460) + Opt.windowScale(2) + Opt.nop
        let full = Build.ipv4(totalLength: 48, proto: 6) + withOptions(dataOffset: 7, options)
        // 40 + 4: right after the MSS option; 40 + 5: after the window-scale kind byte.
        for (n, needed) in [(44, 1), (45, 1)] {
            let p = decode(Array(full[0..<n]), .raw, originalLength: full.count)
            #expect(p.tcp?.options.maximumSegmentSize == 1460)
            #expect(p.tcp?.options.count == 1)
            #expect(p.problem == DecodeError(.truncated, .tcpOption, offset: n, .short, value: needed))
            #expect(p.isTruncated)
        }
    }

    @Test("optionIterator(in:) walks the same options again over the packet bytes")
    func reiterate() throws {
        let cookie: [UInt8] = [1, 2, 3, 4, 5, 6]
        let options = Opt.mss(1380) + Opt.fastOpen(length: 8, cookie: cookie) + Opt.nop + Opt.nop + [77, 2]
            + Opt.nop + Opt.nop + Opt.nop + Opt.nop
        let bytes = Build.sll(packetType: 0, protocolType: 0x0800) + Build.ipv4(totalLength: 60, proto: 6)
            + withOptions(dataOffset: 10, options)
        let p = decode(bytes, .linuxSLL)
        let h = try #require(p.tcp)
        #expect(h.optionsOffset == 56)
        #expect(h.options.fastOpenCookieLength == 6)
        #expect(h.options.unknownCount == 1)
        let walked: [TCPOption] = bytes.withUnsafeBytes { raw in
            var it = h.optionIterator(in: raw)
            var out: [TCPOption] = []
            while let o = it.next() { out.append(o) }
            return out
        }
        #expect(walked == [.maximumSegmentSize(1380), .fastOpen(cookieOffset: 6, cookieLength: 6), .noOperation, .noOperation,
                           .unknown(kind: 77, dataOffset: 16, dataLength: 0),
                           .noOperation, .noOperation, .noOperation, .noOperation])
        // The cookie is where the offset says, relative to the first option byte.
        #expect(Array(bytes[(h.optionsOffset + 6)..<(h.optionsOffset + 12)]) == cookie)
    }

    @Test("optionIterator(in:) over a buffer shorter than the header stops without trapping")
    func reiterateShort() throws {
        let bytes = Build.ipv4(totalLength: 56, proto: 6) + withOptions(dataOffset: 9, Opt.mss(1) + Opt.timestamps(1, 2) + [1, 1])
        let h = try #require(decode(bytes, .raw).tcp)
        for n in 0...bytes.count {
            let prefix = Array(bytes[0..<n])
            let count = prefix.withUnsafeBytes { raw in
                var it = h.optionIterator(in: raw)
                var k = 0
                while it.next() != nil, k < 100 { k += 1 }
                return k
            }
            #expect(count <= 4)
        }
    }

    @Test("the option walk always ends, whatever the bytes")
    func walkTerminates() {
        var rng = SplitMix64(seed: 0x5eed_0001)
        for _ in 0..<5000 {
            let n = Int.random(in: 0...40, using: &rng)
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let declared = Int.random(in: 0...40, using: &rng)
            let w = walkOptions(bytes, declaredLength: declared)
            #expect(w.options.count <= max(declared, 0))
        }
    }
}
