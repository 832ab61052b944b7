/// A socket option by the name socket(7), tcp(7) and ipv6(7) give it, as
/// setsockopt and getsockopt events record it.
public struct SocketOptionName: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let reuseAddress = SocketOptionName(rawValue: "SO_REUSEADDR")
    public static let reusePort = SocketOptionName(rawValue: "SO_REUSEPORT")
    public static let linger = SocketOptionName(rawValue: "SO_LINGER")
    public static let keepAlive = SocketOptionName(rawValue: "SO_KEEPALIVE")
    public static let error = SocketOptionName(rawValue: "SO_ERROR")
    public static let keepIdle = SocketOptionName(rawValue: "TCP_KEEPIDLE")
    public static let keepInterval = SocketOptionName(rawValue: "TCP_KEEPINTVL")
    public static let keepCount = SocketOptionName(rawValue: "TCP_KEEPCNT")
    public static let noDelay = SocketOptionName(rawValue: "TCP_NODELAY")

    /// The option with this level and number (asm-generic/socket.h, netinet/tcp.h, netinet/in.h);
    /// one without a name here is named by its level and number (`SOL_SOCKET 99`).
    public init(level: UInt64, number: UInt64) {
        let socket: [UInt64: String] = [2: "SO_REUSEADDR", 4: "SO_ERROR", 7: "SO_SNDBUF", 8: "SO_RCVBUF", 9: "SO_KEEPALIVE",
                                        13: "SO_LINGER", 15: "SO_REUSEPORT", 20: "SO_RCVTIMEO", 21: "SO_SNDTIMEO"]
        let tcp: [UInt64: String] = [1: "TCP_NODELAY", 2: "TCP_MAXSEG", 4: "TCP_KEEPIDLE", 5: "TCP_KEEPINTVL", 6: "TCP_KEEPCNT",
                                     9: "TCP_DEFER_ACCEPT", 12: "TCP_QUICKACK", 18: "TCP_USER_TIMEOUT", 23: "TCP_FASTOPEN"]
        let ipv6: [UInt64: String] = [26: "IPV6_V6ONLY"]
        switch level {
        case 1: rawValue = socket[number] ?? "SOL_SOCKET \(number)"
        case 6: rawValue = tcp[number] ?? "IPPROTO_TCP \(number)"
        case 41: rawValue = ipv6[number] ?? "IPPROTO_IPV6 \(number)"
        default: rawValue = "level \(level) option \(number)"
        }
    }
}

/// SO_LINGER's value, `struct linger` (socket(7)), and the text an event records it as,
/// strace's `{onoff=1, linger=0}`: this type writes it and reads it back.
public struct Linger: Hashable, Sendable {
    public var on: Bool
    public var seconds: Int32
    public init(on: Bool, seconds: Int32) {
        self.on = on
        self.seconds = seconds
    }

    /// close() then resets the connection instead of closing it (RFC 9293 §3.6, "ABORT").
    public static let abortive = Linger(on: true, seconds: 0)

    public var text: String { "{onoff=\(on ? 1 : 0), linger=\(seconds)}" }

    public init?(text: String) {
        guard text.hasPrefix("{onoff="), text.hasSuffix("}"), let comma = text.firstIndex(of: ",") else { return nil }
        let onoff = text[text.index(text.startIndex, offsetBy: 7)..<comma]
        let rest = text[comma...].dropFirst().drop(while: { $0 == " " })
        guard rest.hasPrefix("linger="), let flag = Int32(onoff), let seconds = Int32(rest.dropFirst(7).dropLast()) else { return nil }
        self.init(on: flag != 0, seconds: seconds)
    }
}

/// shutdown(2)'s `how`, by the name the man page gives it.
public enum ShutdownHow: String, Hashable, Sendable, CaseIterable {
    case read = "SHUT_RD"
    case write = "SHUT_WR"
    case both = "SHUT_RDWR"
}
