import Foundation

/// Builds pcap files byte by byte, including deliberately broken ones.
///
/// Layout (pcap-savefile(5)): a 24-byte global header (magic, version 2.4,
/// thiszone, sigfigs, snaplen, link type), then records of a 16-byte header
/// (ts_sec, ts_usec or ts_nsec, incl_len, orig_len) followed by incl_len bytes.
struct PcapWriter {
    static let microsecondMagic: UInt32 = 0xa1b2_c3d4
    static let nanosecondMagic: UInt32 = 0xa1b2_3c4d

    let bigEndian: Bool
    private(set) var bytes: [UInt8] = []

    init(bigEndian: Bool = false, nanosecond: Bool = false, snaplen: UInt32 = 65535, linkType: UInt32 = 1) {
        self.bigEndian = bigEndian
        u32(nanosecond ? Self.nanosecondMagic : Self.microsecondMagic)
        u16(2)  // version_major
        u16(4)  // version_minor
        u32(0)  // thiszone
        u32(0)  // sigfigs
        u32(snaplen)
        u32(linkType)
    }

    mutating func u16(_ v: UInt16) {
        let v = bigEndian ? v.bigEndian : v.littleEndian
        withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
    }

    mutating func u32(_ v: UInt32) {
        let v = bigEndian ? v.bigEndian : v.littleEndian
        withUnsafeBytes(of: v) { bytes.append(contentsOf: $0) }
    }

    /// A record header; `includedLength` and `originalLength` default to `data.count`.
    mutating func recordHeader(seconds: UInt32, fraction: UInt32, includedLength: UInt32, originalLength: UInt32) {
        u32(seconds)
        u32(fraction)
        u32(includedLength)
        u32(originalLength)
    }

    /// A well-formed record holding `data`.
    mutating func record(seconds: UInt32 = Fixture.seconds, fraction: UInt32, data: [UInt8]) {
        recordHeader(seconds: seconds, fraction: fraction, includedLength: UInt32(data.count), originalLength: UInt32(data.count))
        bytes.append(contentsOf: data)
    }

    mutating func raw(_ data: [UInt8]) {
        bytes.append(contentsOf: data)
    }
}

/// Builds little-endian pcapng files (pcapng draft, sections 4.1–4.3).
struct PcapngWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    /// Section Header Block, no options, section length unknown (-1).
    mutating func sectionHeader() {
        u32(0x0a0d_0d0a)
        u32(28)
        u32(0x1a2b_3c4d)
        u16(1)
        u16(0)
        u32(0xffff_ffff)
        u32(0xffff_ffff)
        u32(28)
    }

    /// Interface Description Block, no options (so microsecond timestamps).
    mutating func interface(linkType: UInt16 = 1, snaplen: UInt32 = 65535) {
        u32(1)
        u32(20)
        u16(linkType)
        u16(0)
        u32(snaplen)
        u32(20)
    }

    /// Enhanced Packet Block on interface 0; `microseconds` since the epoch.
    mutating func enhancedPacket(microseconds: UInt64, data: [UInt8]) {
        let padded = (data.count + 3) & ~3
        let total = UInt32(32 + padded)
        u32(6)
        u32(total)
        u32(0)
        u32(UInt32(truncatingIfNeeded: microseconds >> 32))
        u32(UInt32(truncatingIfNeeded: microseconds))
        u32(UInt32(data.count))
        u32(UInt32(data.count))
        bytes.append(contentsOf: data)
        bytes.append(contentsOf: [UInt8](repeating: 0, count: padded - data.count))
        u32(total)
    }
}

/// The packet every valid fixture carries.
enum Fixture {
    static let seconds: UInt32 = 1_700_000_000
    /// What synscope's text output shows for `synPacket()` (tcpdump -nn style).
    static let synText = "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S]"

    /// Ethernet II + IPv4 + TCP SYN (with an MSS option), 10.0.0.1:40000 → 10.0.0.2:80,
    /// with correct IPv4 and TCP checksums. 58 bytes.
    static func synPacket(sequence: UInt32 = 1000) -> [UInt8] {
        let src: [UInt8] = [10, 0, 0, 1], dst: [UInt8] = [10, 0, 0, 2]
        var tcp: [UInt8] = []
        tcp += be16(40000) + be16(80) + be32(sequence) + be32(0)
        tcp += [0x60, 0x02]  // data offset 6 words; flags SYN
        tcp += be16(64240) + be16(0) + be16(0)  // window, checksum, urgent
        tcp += [2, 4] + be16(1460)  // MSS
        let pseudo = src + dst + [0, 6] + be16(UInt16(tcp.count))
        let tcpSum = checksum(pseudo + tcp)
        tcp[16] = UInt8(tcpSum >> 8)
        tcp[17] = UInt8(tcpSum & 0xff)

        var ip: [UInt8] = [0x45, 0x00] + be16(UInt16(20 + tcp.count)) + be16(0x1234) + [0x40, 0x00]
        ip += [64, 6, 0, 0] + src + dst
        let ipSum = checksum(ip)
        ip[10] = UInt8(ipSum >> 8)
        ip[11] = UInt8(ipSum & 0xff)

        let ethernet: [UInt8] = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]
        return ethernet + ip + tcp
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }

    /// RFC 1071 Internet checksum.
    static func checksum(_ data: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < data.count {
            sum += UInt32(data[i]) << 8 | UInt32(data[i + 1])
            i += 2
        }
        if i < data.count { sum += UInt32(data[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// A pcap file of `count` SYNs, one second apart, with `fraction` µs (or ns) past each second.
    static func pcap(count: Int, bigEndian: Bool = false, nanosecond: Bool = false,
                     snaplen: UInt32 = 65535, linkType: UInt32 = 1, fraction: UInt32 = 123_456) -> PcapWriter {
        var w = PcapWriter(bigEndian: bigEndian, nanosecond: nanosecond, snaplen: snaplen, linkType: linkType)
        for i in 0..<count {
            w.record(seconds: seconds + UInt32(i), fraction: fraction, data: synPacket(sequence: 1000 + UInt32(i)))
        }
        return w
    }
}

/// SplitMix64: a tiny seeded generator, so "random" fixtures are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("synscope-capture-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file.path
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
