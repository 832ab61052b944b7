/// All nine TCP flag bits (RFC 9293 §3.1, RFC 3168 for ECE/CWR, RFC 9768 / RFC 3540 for AE).
/// The flags are computed and inlinable rather than `static let`s: a `static let`
/// of another module is reached through a lazy-initialisation check on every use.
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    @inlinable public static var fin: TCPFlags { TCPFlags(rawValue: 0x001) }
    @inlinable public static var syn: TCPFlags { TCPFlags(rawValue: 0x002) }
    @inlinable public static var rst: TCPFlags { TCPFlags(rawValue: 0x004) }
    @inlinable public static var psh: TCPFlags { TCPFlags(rawValue: 0x008) }
    @inlinable public static var ack: TCPFlags { TCPFlags(rawValue: 0x010) }
    @inlinable public static var urg: TCPFlags { TCPFlags(rawValue: 0x020) }
    @inlinable public static var ece: TCPFlags { TCPFlags(rawValue: 0x040) }
    @inlinable public static var cwr: TCPFlags { TCPFlags(rawValue: 0x080) }
    /// Accurate ECN (formerly NS, the ECN-nonce bit).
    @inlinable public static var ae: TCPFlags { TCPFlags(rawValue: 0x100) }

    /// tcpdump's notation: `S`, `S.`, `.`, `P.`, `F.`, `R`, `R.`, `none`.
    ///
    /// Letters in tcpdump's table order (print-tcp.c `tcp_flag_values`):
    /// F S R P . U E W e.
    public var tcpdumpNotation: String {
        if rawValue & 0x1ff == 0 { return "none" }
        var s = ""
        if contains(.fin) { s += "F" }
        if contains(.syn) { s += "S" }
        if contains(.rst) { s += "R" }
        if contains(.psh) { s += "P" }
        if contains(.ack) { s += "." }
        if contains(.urg) { s += "U" }
        if contains(.ece) { s += "E" }
        if contains(.cwr) { s += "W" }
        if contains(.ae) { s += "e" }
        return s
    }
}
