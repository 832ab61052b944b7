import PacketWire
import TraceModel

/// One line per packet in the style of `tcpdump -nn -tt --nano -S`
/// (print-tcp.c, print-udp.c, print-icmp.c).
enum PacketText {
    static func append(timestamp: Timestamp, bytes: UnsafeRawBufferPointer, originalLength: Int,
                       decoded: DecodedPacket, relative: (seq: UInt32, ack: UInt32?)?, to s: inout ByteSink) {
        s.append(timestamp: timestamp)
        s.append(byte: UInt8(ascii: " "))
        var problemShown = false
        switch decoded.network {
        case .none:
            if let p = decoded.problem {
                s.append("[\(p)]")
                problemShown = true
            } else {
                s.append("link type \(decoded.link?.linkType.description ?? "?") not decoded")
            }
            s.append(", length ")
            s.append(decimal: originalLength)
        case .other(let next):
            switch next {
            case .etherType(NetworkProtocol.etherTypeARP): s.append("ARP")
            case .etherType(let t) where t < 0x0600: s.append("802.3 LLC")
            case .etherType(let t):
                s.append("ethertype 0x")
                s.append(hex: UInt64(t), width: 4)
            case .addressFamily(let af): s.append("address family \(af)")
            case .ipv4, .ipv6: s.append("IP")
            }
            s.append(", length ")
            s.append(decimal: originalLength)
        case .ipv4, .ipv6:
            problemShown = ip(decoded, bytes: bytes, relative: relative, to: &s)
        }
        if let p = decoded.problem, !problemShown {
            s.append(" [\(p)]")
        }
        s.append(byte: UInt8(ascii: "\n"))
    }

    /// Returns whether the packet's problem was already printed.
    private static func ip(_ d: DecodedPacket, bytes: UnsafeRawBufferPointer,
                           relative: (seq: UInt32, ack: UInt32?)?, to s: inout ByteSink) -> Bool {
        let isV6: Bool
        let ipLength: Int
        switch d.network {
        case .ipv4(let h): isV6 = false; ipLength = h.payloadLength
        case .ipv6(let h): isV6 = true; ipLength = h.upperLayerLength
        default: return false
        }
        s.append(isV6 ? "IP6 " : "IP ")
        let src = d.source!, dst = d.destination!
        func endpoints(_ sport: UInt16, _ dport: UInt16) {
            s.append(src); s.append(byte: UInt8(ascii: ".")); s.append(decimal: sport)
            s.append(" > ")
            s.append(dst); s.append(byte: UInt8(ascii: ".")); s.append(decimal: dport)
            s.append(": ")
        }
        func hosts() {
            s.append(src); s.append(" > "); s.append(dst); s.append(": ")
        }
        switch d.transport {
        case .tcp(let tcp):
            endpoints(tcp.sourcePort, tcp.destinationPort)
            return TCPText.append(tcp, bytes: bytes, relative: relative, problem: d.problem, to: &s)
        case .udp(let udp):
            endpoints(udp.sourcePort, udp.destinationPort)
            s.append("UDP, length ")
            s.append(decimal: udp.payloadLength)
        case .icmp(let icmp):
            hosts()
            s.append(isV6 ? "ICMP6, " : "ICMP ")
            s.append(ICMPText.describe(icmp))
            s.append(", length ")
            s.append(decimal: ipLength)
        case .fragment(let proto):
            hosts()
            s.append(protocolName(proto))
            s.append(" fragment")
            if case .ipv4(let h) = d.network {
                s.append(" (offset \(h.fragmentOffset)\(h.moreFragments ? ", more" : ""))")
            } else if case .ipv6(let h) = d.network, let f = h.fragment {
                s.append(" (offset \(f.offset)\(f.moreFragments ? ", more" : ""))")
            }
            s.append(", length ")
            s.append(decimal: ipLength)
        case .truncated(let proto, let sport, let dport):
            if let sport, let dport { endpoints(sport, dport) } else { hosts() }
            s.append("[|\(protocolName(proto))]")
        case .other(let proto):
            hosts()
            s.append(protocolName(proto))
            s.append(", length ")
            s.append(decimal: ipLength)
        case .none:
            hosts()
            s.append("[|ip]")
        }
        return false
    }
}

/// tcpdump's TCP line after the ports.
enum TCPText {
    /// Returns whether `problem` was printed.
    static func append(_ tcp: TCPHeader, bytes: UnsafeRawBufferPointer, relative: (seq: UInt32, ack: UInt32?)?,
                       problem: DecodeError?, to s: inout ByteSink) -> Bool {
        s.append("Flags [")
        s.appendFlags(tcp.flags)
        s.append("]")
        let seq = relative?.seq ?? tcp.sequence.rawValue
        let length = tcp.payloadLength
        if length > 0 || !tcp.flags.isDisjoint(with: [.syn, .fin, .rst]) {
            s.append(", seq ")
            s.append(decimal: seq)
            if length > 0 {
                s.append(":")
                s.append(decimal: seq &+ UInt32(truncatingIfNeeded: length))
            }
        }
        if tcp.flags.contains(.ack) {
            s.append(", ack ")
            s.append(decimal: relative?.ack ?? tcp.acknowledgment.rawValue)
        }
        s.append(", win ")
        s.append(decimal: tcp.window)
        if tcp.flags.contains(.urg) {
            s.append(", urg ")
            s.append(decimal: tcp.urgentPointer)
        }
        if let p = problem, p.layer == .tcp, !p.isTruncated {
            s.append(", [bad hdr length: \(p)]")
            return true
        }
        if tcp.options.count > 0 || (problem?.layer == .tcpOption) {
            s.append(", options [")
            var first = true
            var it = tcp.optionIterator(in: bytes)
            while let option = it.next() {
                if !first { s.append(",") }
                first = false
                appendOption(option, tcp: tcp, bytes: bytes, to: &s)
            }
            if let e = it.error {
                if !first { s.append(",") }
                s.append(e.isTruncated ? "|" : "bad opt: \(e)")
            }
            s.append("]")
        }
        s.append(", length ")
        s.append(decimal: length)
        // A cut shows as "|" in the options; a malformed option as "bad opt".
        return problem?.layer == .tcpOption
    }

    static func appendOption(_ o: TCPOption, tcp: TCPHeader, bytes: UnsafeRawBufferPointer, to s: inout ByteSink) {
        switch o {
        case .endOfList: s.append("eol")
        case .noOperation: s.append("nop")
        case .maximumSegmentSize(let v): s.append("mss "); s.append(decimal: v)
        case .windowScale(let v): s.append("wscale "); s.append(decimal: v)
        case .sackPermitted: s.append("sackOK")
        case .sack(let blocks):
            s.append("sack "); s.append(decimal: blocks.count)
            for i in 0..<blocks.count {
                s.append(" {"); s.append(decimal: blocks[i].left.rawValue)
                s.append(":"); s.append(decimal: blocks[i].right.rawValue); s.append("}")
            }
        case .timestamps(let v, let e):
            s.append("TS val "); s.append(decimal: v); s.append(" ecr "); s.append(decimal: e)
        case .fastOpen(let offset, let length):
            if length == 0 { s.append("tfo cookiereq") } else {
                s.append("tfo cookie ")
                appendHex(bytes, from: tcp.optionsOffset + offset, count: length, to: &s)
            }
        case .unknown(let kind, let offset, let length):
            s.append("unknown-\(kind)")
            if length > 0 {
                s.append(" 0x")
                appendHex(bytes, from: tcp.optionsOffset + offset, count: length, to: &s)
            }
        }
    }

    static func appendHex(_ bytes: UnsafeRawBufferPointer, from start: Int, count: Int, to s: inout ByteSink) {
        let end = min(start + count, bytes.count)
        guard start >= 0, start < end else { return }
        for i in start..<end { s.append(hex: UInt64(bytes[i]), width: 2) }
    }
}

extension ByteSink {
    /// `protocolName(proto)`, optionally in quotes, without building a String for the common ones.
    mutating func appendProtocolName(_ proto: UInt8, quoted: Bool) {
        if quoted { append(byte: UInt8(ascii: "\"")) }
        switch proto {
        case PacketDecoder.Proto.tcp: append("tcp")
        case PacketDecoder.Proto.udp: append("udp")
        case PacketDecoder.Proto.icmp: append("icmp")
        case PacketDecoder.Proto.icmpv6: append("icmp6")
        default: append("ip-proto-"); append(decimal: proto)
        }
        if quoted { append(byte: UInt8(ascii: "\"")) }
    }

    /// `TCPFlags.tcpdumpNotation` without building a String.
    mutating func appendFlags(_ f: TCPFlags) {
        if f.rawValue & 0x1ff == 0 { append("none"); return }
        if f.contains(.fin) { append(byte: UInt8(ascii: "F")) }
        if f.contains(.syn) { append(byte: UInt8(ascii: "S")) }
        if f.contains(.rst) { append(byte: UInt8(ascii: "R")) }
        if f.contains(.psh) { append(byte: UInt8(ascii: "P")) }
        if f.contains(.ack) { append(byte: UInt8(ascii: ".")) }
        if f.contains(.urg) { append(byte: UInt8(ascii: "U")) }
        if f.contains(.ece) { append(byte: UInt8(ascii: "E")) }
        if f.contains(.cwr) { append(byte: UInt8(ascii: "W")) }
        if f.contains(.ae) { append(byte: UInt8(ascii: "e")) }
    }
}
