import PacketWire
import TraceModel

// Hand-built packet fixtures.
//
// Every builder writes exactly the field values it is given, in network
// order, and computes nothing: lengths, data offsets, checksums and flags are
// whatever the caller writes, so a test shows every value the decoder reads.

func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
func le32(_ v: UInt32) -> [UInt8] { be32(v).reversed() }

enum Build {
    static let macA: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0a]
    static let macB: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0b]
    /// 192.0.2.1 and 198.51.100.2 (RFC 5737 documentation addresses).
    static let v4A: [UInt8] = [192, 0, 2, 1]
    static let v4B: [UInt8] = [198, 51, 100, 2]
    /// 2001:db8::1 and 2001:db8::2 (RFC 3849).
    static let v6A: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]
    static let v6B: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02]

    /// Ethernet II: destination, source, then each (TPID, TCI) tag, then the EtherType.
    static func ethernet(destination: [UInt8] = macB, source: [UInt8] = macA,
                         tags: [(tpid: UInt16, tci: UInt16)] = [], etherType: UInt16) -> [UInt8] {
        var b = destination + source
        for t in tags { b += be16(t.tpid) + be16(t.tci) }
        return b + be16(etherType)
    }

    /// Linux cooked capture v1 (16 bytes).
    static func sll(packetType: UInt16, arphrdType: UInt16 = 1, addressLength: UInt16 = 6,
                    address: [UInt8] = macA + [0, 0], protocolType: UInt16) -> [UInt8] {
        be16(packetType) + be16(arphrdType) + be16(addressLength) + address + be16(protocolType)
    }

    /// Linux cooked capture v2 (20 bytes).
    static func sll2(protocolType: UInt16, reserved: UInt16 = 0, interfaceIndex: UInt32, arphrdType: UInt16 = 1,
                     packetType: UInt8, addressLength: UInt8 = 6, address: [UInt8] = macA + [0, 0]) -> [UInt8] {
        be16(protocolType) + be16(reserved) + be32(interfaceIndex) + be16(arphrdType) + [packetType, addressLength] + address
    }

    /// IPv4 header; `options` are appended after the 20 fixed bytes as given.
    static func ipv4(versionIHL: UInt8 = 0x45, tos: UInt8 = 0, totalLength: UInt16, identification: UInt16 = 0x1234,
                     flagsFragment: UInt16 = 0x4000, ttl: UInt8 = 64, proto: UInt8, checksum: UInt16 = 0xbeef,
                     source: [UInt8] = v4A, destination: [UInt8] = v4B, options: [UInt8] = []) -> [UInt8] {
        [versionIHL, tos] + be16(totalLength) + be16(identification) + be16(flagsFragment)
            + [ttl, proto] + be16(checksum) + source + destination + options
    }

    /// IPv6 fixed header (40 bytes).
    static func ipv6(versionClassFlow: UInt32 = 0x6000_0000, payloadLength: UInt16, nextHeader: UInt8,
                     hopLimit: UInt8 = 64, source: [UInt8] = v6A, destination: [UInt8] = v6B) -> [UInt8] {
        be32(versionClassFlow) + be16(payloadLength) + [nextHeader, hopLimit] + source + destination
    }

    /// Hop-by-hop, routing or destination options header: next header,
    /// Hdr Ext Len (in 8-byte units, not counting the first 8), then `body`.
    static func ipv6Extension(nextHeader: UInt8, hdrExtLen: UInt8, body: [UInt8]) -> [UInt8] {
        [nextHeader, hdrExtLen] + body
    }

    /// IPv6 Fragment header (8 bytes): offset (13 bits, 8-byte units) << 3 | M.
    static func ipv6Fragment(nextHeader: UInt8, reserved: UInt8 = 0, offsetFlags: UInt16, identification: UInt32) -> [UInt8] {
        [nextHeader, reserved] + be16(offsetFlags) + be32(identification)
    }

    /// TCP header: `dataOffset` (in 32-bit words) goes in the top 4 bits,
    /// `flags` (9 bits, plus any reserved bits the caller sets) in the rest.
    static func tcp(sourcePort: UInt16, destinationPort: UInt16, sequence: UInt32, acknowledgment: UInt32,
                    dataOffset: UInt16, flags: UInt16, window: UInt16, checksum: UInt16 = 0xcafe,
                    urgentPointer: UInt16 = 0, options: [UInt8] = []) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + be32(sequence) + be32(acknowledgment)
            + be16(dataOffset << 12 | flags) + be16(window) + be16(checksum) + be16(urgentPointer) + options
    }

    static func udp(sourcePort: UInt16, destinationPort: UInt16, length: UInt16, checksum: UInt16 = 0x1111) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + be16(length) + be16(checksum)
    }

    static func icmp(type: UInt8, code: UInt8, checksum: UInt16 = 0x2222, rest: UInt32 = 0) -> [UInt8] {
        [type, code] + be16(checksum) + be32(rest)
    }
}

/// TCP option bytes, exactly as they appear on the wire.
enum Opt {
    static let eol: [UInt8] = [0]
    static let nop: [UInt8] = [1]
    static func mss(_ v: UInt16) -> [UInt8] { [2, 4] + be16(v) }
    static func windowScale(_ shift: UInt8) -> [UInt8] { [3, 3, shift] }
    static let sackPermitted: [UInt8] = [4, 2]
    static func sack(length: UInt8, _ blocks: [(UInt32, UInt32)]) -> [UInt8] {
        [5, length] + blocks.flatMap { be32($0.0) + be32($0.1) }
    }
    static func timestamps(_ value: UInt32, _ echo: UInt32) -> [UInt8] { [8, 10] + be32(value) + be32(echo) }
    static func fastOpen(length: UInt8, cookie: [UInt8]) -> [UInt8] { [34, length] + cookie }
}

// MARK: - Decoding helpers

func decode(_ bytes: [UInt8], _ linkType: LinkType, originalLength: Int? = nil) -> DecodedPacket {
    bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: linkType, originalLength: originalLength ?? bytes.count) }
}

/// Runs a header's `init(parsing:)` (or any reader-taking parser) over `bytes`.
func parse<T>(_ bytes: [UInt8], origin: Int = 0, layer: Layer = .ipv4,
              _ body: (ByteReader) throws(DecodeError) -> T) -> Result<T, DecodeError> {
    bytes.withUnsafeBytes { raw -> Result<T, DecodeError> in
        do throws(DecodeError) {
            return .success(try body(ByteReader(raw, origin: origin, layer: layer)))
        } catch {
            return .failure(error)
        }
    }
}

/// Every option an iterator yields over `optionBytes`, and its final error.
func walkOptions(_ optionBytes: [UInt8], declaredLength: Int? = nil, origin: Int = 0) -> (options: [TCPOption], error: DecodeError?) {
    optionBytes.withUnsafeBytes { raw in
        var it = TCPOptionIterator(ByteReader(raw, origin: origin, layer: .tcpOption), declaredLength: declaredLength ?? raw.count)
        var out: [TCPOption] = []
        // An option takes at least one byte, so more steps than bytes would be a loop.
        while let o = it.next() {
            out.append(o)
            if out.count > 64 { break }
        }
        return (out, it.error)
    }
}

extension Result {
    var value: Success? { if case .success(let v) = self { v } else { nil } }
    var error: Failure? { if case .failure(let e) = self { e } else { nil } }
}

extension DecodedPacket {
    var ipv4: IPv4Header? { if case .ipv4(let h) = network { h } else { nil } }
    var ipv6: IPv6Header? { if case .ipv6(let h) = network { h } else { nil } }
    var udp: UDPHeader? { if case .udp(let h) = transport { h } else { nil } }
    var icmp: ICMPMessage? { if case .icmp(let m) = transport { m } else { nil } }
}

extension NetworkLayer {
    var isNone: Bool { if case .none = self { true } else { false } }
}

extension TransportLayer {
    var isNone: Bool { if case .none = self { true } else { false } }
}

/// SplitMix64: a small deterministic generator, so a failing fuzz case replays.
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
