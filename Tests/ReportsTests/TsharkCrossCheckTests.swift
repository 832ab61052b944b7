import Capture
import Foundation
import PacketWire
import Reports
import TestSupport
import Testing

/// `synscope decode --format jsonl` against tshark's dissection of the same
/// file, field by field, for every committed capture.
///
/// tshark runs with TCP reassembly and IP defragmentation off, so that each
/// frame is dissected on its own, as synscope decodes it.
@Suite("decode agrees with tshark")
struct TsharkCrossCheckTests {
    static let fields = [
        "frame.number", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
        "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw", "tcp.flags",
        "tcp.window_size_value", "tcp.len", "tcp.options.mss_val", "tcp.options.wscale.shift",
        "tcp.option_kind", "tcp.options.timestamp.tsval", "tcp.options.timestamp.tsecr",
        "udp.srcport", "udp.dstport", "udp.length",
        "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code", "ip.proto", "ipv6.nxt",
    ]

    /// tshark's fields for each frame, by frame number.
    static func tshark(_ path: String) throws -> [Int: [String: String]] {
        var args = ["-r", path, "-n", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,",
                    "-o", "tcp.desegment_tcp_streams:FALSE", "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
                    "-o", "tcp.check_checksum:FALSE"]
        for f in fields { args += ["-e", f] }
        let out = try Fixtures.run(try Fixtures.tool("tshark"), args)
        var frames: [Int: [String: String]] = [:]
        for line in out.split(separator: "\n", omittingEmptySubsequences: true) {
            let values = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            var row: [String: String] = [:]
            for (i, f) in fields.enumerated() where i < values.count { row[f] = values[i] }
            if let n = Int(row["frame.number"] ?? "") { frames[n] = row }
        }
        return frames
    }

    /// synscope's jsonl objects, by frame number.
    static func synscope(_ path: String) throws -> [Int: [String: Any]] {
        let reader = try CaptureFileReader(path: path)
        var formatter = PacketFormatter(format: .jsonl, relative: false)
        var sink = ByteSink()
        try reader.forEach { r in
            let d = PacketDecoder.decode(r.bytes, linkType: r.linkType, originalLength: r.originalLength)
            formatter.append(frame: r.frame, timestamp: r.timestamp, bytes: r.bytes, originalLength: r.originalLength, decoded: d, to: &sink)
        }
        var objects: [Int: [String: Any]] = [:]
        for line in sink.bytes.split(separator: UInt8(ascii: "\n")) {
            let object = try JSONSerialization.jsonObject(with: Data(line)) as! [String: Any]
            objects[object["frame"] as! Int] = object
        }
        return objects
    }

    /// The first of tshark's comma-aggregated values (the outer header when an
    /// ICMP error quotes an inner one).
    static func first(_ row: [String: String], _ field: String) -> String? {
        guard let v = row[field], !v.isEmpty else { return nil }
        return String(v.split(separator: ",", omittingEmptySubsequences: false)[0])
    }

    static func string(_ v: Any?) -> String? {
        switch v {
        case let n as NSNumber where String(describing: type(of: n)).contains("Boolean"): n.boolValue ? "true" : "false"
        case let n as NSNumber: n.stringValue
        case let s as String: s
        default: nil
        }
    }

    @Test("every TCP/UDP/ICMP field equals tshark's", arguments: Fixtures.captureNames)
    func crossCheck(_ name: String) throws {
        let path = Fixtures.path(name)
        let ours = try Self.synscope(path)
        let theirs = try Self.tshark(path)
        var compared = 0
        for frame in theirs.keys.sorted() {
            let t = theirs[frame]!
            let o = ours[frame]
            let ipSrc = Self.first(t, "ip.src") ?? Self.first(t, "ipv6.src")
            guard let ipSrc else {
                #expect(o == nil, "frame \(frame): synscope emitted a non-IP packet")
                continue
            }
            guard let o else {
                Issue.record("frame \(frame): tshark sees IP from \(ipSrc), synscope emitted nothing")
                continue
            }
            func check(_ key: String, _ expected: String?, sourceLocation: SourceLocation = #_sourceLocation) {
                let actual = Self.string(o[key])
                #expect(actual == expected, "\(name) frame \(frame) \(key)", sourceLocation: sourceLocation)
            }
            check("src", ipSrc)
            check("dst", Self.first(t, "ip.dst") ?? Self.first(t, "ipv6.dst"))
            switch o["proto"] as? String {
            case "tcp" where o["seq"] != nil:
                compared += 1
                check("sport", Self.first(t, "tcp.srcport"))
                check("dport", Self.first(t, "tcp.dstport"))
                check("seq", Self.first(t, "tcp.seq_raw"))
                let bits = Int((Self.first(t, "tcp.flags") ?? "0x0").dropFirst(2), radix: 16) ?? -1
                check("flag_bits", String(bits))
                // tshark shows the acknowledgment field only when ACK is set (packet-tcp.c).
                if bits & 0x10 != 0 { check("ack", Self.first(t, "tcp.ack_raw")) }
                check("window", Self.first(t, "tcp.window_size_value"))
                check("payload_len", Self.first(t, "tcp.len"))
                check("mss", Self.first(t, "tcp.options.mss_val"))
                check("wscale", Self.first(t, "tcp.options.wscale.shift"))
                check("tsval", Self.first(t, "tcp.options.timestamp.tsval"))
                check("tsecr", Self.first(t, "tcp.options.timestamp.tsecr"))
                let kinds = (t["tcp.option_kind"] ?? "").split(separator: ",")
                check("sack_permitted", kinds.contains("4") ? "true" : "false")
            case "tcp":
                // The fixed header was cut: only the ports that were captured.
                compared += 1
                check("sport", Self.first(t, "tcp.srcport"))
                check("dport", Self.first(t, "tcp.dstport"))
            case "udp" where o["fragment"] == nil:
                compared += 1
                check("sport", Self.first(t, "udp.srcport"))
                check("dport", Self.first(t, "udp.dstport"))
                let length = Int(Self.first(t, "udp.length") ?? "") ?? 0
                check("payload_len", String(length - 8))
            case "icmp", "icmp6":
                compared += 1
                let isV6 = o["proto"] as? String == "icmp6"
                check("type", Self.first(t, isV6 ? "icmpv6.type" : "icmp.type"))
                check("code", Self.first(t, isV6 ? "icmpv6.code" : "icmp.code"))
                if let inner = o["inner"] as? [String: Any], inner["proto"] as? String == "udp" {
                    // tshark dissects the quoted UDP header as the second ip/udp layer.
                    #expect(Self.string(inner["sport"]) == Self.first(t, "udp.srcport"), "\(name) frame \(frame) inner sport")
                    #expect(Self.string(inner["dport"]) == Self.first(t, "udp.dstport"), "\(name) frame \(frame) inner dport")
                }
            default:
                break
            }
        }
        #expect(ours.count == theirs.values.filter { Self.first($0, "ip.src") ?? Self.first($0, "ipv6.src") != nil }.count,
                "\(name): synscope and tshark see different numbers of IP packets")
        // Every capture but a run that sent nothing (bind-conflict) has packets to compare.
        #expect(compared > 0 || ours.isEmpty, "\(name): no packet was compared")
    }
}
