import PacketWire
import TraceModel

/// One JSON object per IP packet; the schema is documented in the README
/// ("decode --format jsonl") and kept stable. Unlike every other JSON synscope
/// writes (the Codable models, keys sorted), this is `decode`'s per-packet hot
/// path: written by hand into a ByteSink, with no allocation, in the field order
/// of tcpdump's and tshark's output that it is checked against.
enum PacketJSON {
    static func append(frame: Int, timestamp: Timestamp, decoded d: DecodedPacket,
                       relative: (seq: UInt32, ack: UInt32?)?, to s: inout ByteSink) {
        guard let src = d.source, let dst = d.destination else { return }
        s.append("{\"frame\":"); s.append(decimal: frame)
        s.append(",\"time\":\""); s.append(timestamp: timestamp); s.append("\"")
        s.append(",\"proto\":")
        let proto: UInt8
        switch d.network {
        case .ipv4(let h): proto = h.proto
        case .ipv6(let h): proto = h.upperProtocol
        default: proto = 0
        }
        s.appendProtocolName(proto, quoted: true)
        s.append(",\"src\":\""); s.append(src); s.append("\"")
        s.append(",\"dst\":\""); s.append(dst); s.append("\"")
        switch d.transport {
        case .tcp(let t):
            ports(t.sourcePort, t.destinationPort, &s)
            tcp(t, relative: relative, &s)
        case .udp(let u):
            ports(u.sourcePort, u.destinationPort, &s)
            s.append(",\"payload_len\":"); s.append(decimal: u.payloadLength)
        case .icmp(let m):
            s.append(",\"sport\":null,\"dport\":null,\"type\":"); s.append(decimal: m.type)
            s.append(",\"code\":"); s.append(decimal: m.code)
            if let q = m.quoted {
                s.append(",\"inner\":{\"proto\":"); s.append(jsonString: protocolName(q.proto))
                s.append(",\"src\":"); s.append(jsonString: q.source.description)
                s.append(",\"dst\":"); s.append(jsonString: q.destination.description)
                s.append(",\"sport\":"); optional(q.sourcePort, &s)
                s.append(",\"dport\":"); optional(q.destinationPort, &s)
                s.append("}")
            }
        case .truncated(_, let sport, let dport):
            s.append(",\"sport\":"); optional(sport, &s)
            s.append(",\"dport\":"); optional(dport, &s)
        case .fragment:
            s.append(",\"sport\":null,\"dport\":null,\"fragment\":{\"offset\":")
            var offset = 0, more = false
            if case .ipv4(let h) = d.network { offset = h.fragmentOffset; more = h.moreFragments }
            if case .ipv6(let h) = d.network, let f = h.fragment { offset = f.offset; more = f.moreFragments }
            s.append(decimal: offset)
            s.append(more ? ",\"more\":true}" : ",\"more\":false}")
        case .other, .none:
            s.append(",\"sport\":null,\"dport\":null")
        }
        s.append(d.isTruncated ? ",\"truncated\":true" : ",\"truncated\":false")
        if let p = d.problem, !p.isTruncated {
            s.append(",\"error\":"); s.append(jsonString: p.description)
        }
        s.append("}\n")
    }

    private static func ports(_ sport: UInt16, _ dport: UInt16, _ s: inout ByteSink) {
        s.append(",\"sport\":"); s.append(decimal: sport)
        s.append(",\"dport\":"); s.append(decimal: dport)
    }

    private static func optional<T: BinaryInteger>(_ v: T?, _ s: inout ByteSink) {
        if let v { s.append(decimal: v) } else { s.append("null") }
    }

    private static func tcp(_ t: TCPHeader, relative: (seq: UInt32, ack: UInt32?)?, _ s: inout ByteSink) {
        s.append(",\"seq\":"); s.append(decimal: t.sequence.rawValue)
        s.append(",\"ack\":"); s.append(decimal: t.acknowledgment.rawValue)
        if let relative {
            s.append(",\"rel_seq\":"); s.append(decimal: relative.seq)
            s.append(",\"rel_ack\":"); optional(relative.ack, &s)
        }
        s.append(",\"flags\":\""); s.appendFlags(t.flags); s.append("\"")
        s.append(",\"flag_bits\":"); s.append(decimal: t.flags.rawValue)
        s.append(",\"window\":"); s.append(decimal: t.window)
        s.append(",\"payload_len\":"); s.append(decimal: t.payloadLength)
        let o = t.options
        s.append(",\"mss\":"); optional(o.maximumSegmentSize, &s)
        s.append(",\"wscale\":"); optional(o.windowScale, &s)
        s.append(o.sackPermitted ? ",\"sack_permitted\":true" : ",\"sack_permitted\":false")
        s.append(",\"tsval\":"); optional(o.timestampValue, &s)
        s.append(",\"tsecr\":"); optional(o.timestampEchoReply, &s)
    }
}
