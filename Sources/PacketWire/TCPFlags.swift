/// All nine TCP flag bits (RFC 9293 §3.1, RFC 3168 for ECE/CWR, RFC 9768 / RFC 3540 for AE).
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x001)
    public static let syn = TCPFlags(rawValue: 0x002)
    public static let rst = TCPFlags(rawValue: 0x004)
    public static let psh = TCPFlags(rawValue: 0x008)
    public static let ack = TCPFlags(rawValue: 0x010)
    public static let urg = TCPFlags(rawValue: 0x020)
    public static let ece = TCPFlags(rawValue: 0x040)
    public static let cwr = TCPFlags(rawValue: 0x080)
    /// Accurate ECN (formerly NS, the ECN-nonce bit).
    public static let ae = TCPFlags(rawValue: 0x100)

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
