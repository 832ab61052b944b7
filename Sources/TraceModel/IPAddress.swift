/// An IPv4 address, stored in host order (`127.0.0.1` is `0x7f00_0001`).
public struct IPv4Address: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var value: UInt32
    public init(_ value: UInt32) { self.value = value }
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    public static let loopback = IPv4Address(127, 0, 0, 1)
    public static let any = IPv4Address(0)

    public static func < (l: Self, r: Self) -> Bool { l.value < r.value }

    /// Dotted quad.
    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    /// Parses a dotted quad; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0 >= "0" && $0 <= "9" }),
                  let octet = UInt8(part) else { return nil }
            v = v << 8 | UInt32(octet)
        }
        value = v
    }
}

/// An IPv6 address as two 64-bit halves in host order.
public struct IPv6Address: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64
    public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }

    public static let loopback = IPv6Address(high: 0, low: 1)
    public static let any = IPv6Address(high: 0, low: 0)

    public static func < (l: Self, r: Self) -> Bool { (l.high, l.low) < (r.high, r.low) }

    /// The eight 16-bit groups, most significant first.
    public var groups: [UInt16] {
        (0..<8).map { i in
            let half = i < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> (UInt64(3 - i % 4) * 16))
        }
    }

    /// Text in RFC 5952 form: lower case, no leading zeros, the longest run
    /// (first on ties) of two or more zero groups shortened to `::`, and
    /// IPv4-mapped addresses with a dotted-quad tail (§5).
    public var description: String {
        let g = groups
        if g[0...4].allSatisfy({ $0 == 0 }) && g[5] == 0xffff {
            let v4 = IPv4Address(UInt32(g[6]) << 16 | UInt32(g[7]))
            return "::ffff:\(v4)"
        }
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8 && g[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                let length = i - runStart
                if length > bestLength { bestStart = runStart; bestLength = length }
                runStart = -1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            g[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        if bestLength < 2 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}

/// An IPv4 or IPv6 address.
public enum IPAddress: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }

    public var isIPv6: Bool { if case .v6 = self { true } else { false } }
}

/// An address and port: one end of a TCP or UDP flow.
public struct SocketAddress: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16
    public init(_ address: IPAddress, _ port: UInt16) { self.address = address; self.port = port }

    public static func < (l: Self, r: Self) -> Bool { (l.address, l.port) < (r.address, r.port) }

    /// tcpdump's `addr.port` form (used for IPv6 too, as tcpdump does).
    public var description: String { "\(address).\(port)" }

    /// `127.0.0.1:8080` or `[::1]:8080`, the form reports use.
    public var hostPort: String { address.isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)" }
}
