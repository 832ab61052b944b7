import Glibc
import TraceModel

/// Socket options a scenario can set (socket(7), tcp(7)).
public enum SocketOption: Hashable, Sendable {
    case reuseAddress(Bool)
    case reusePort(Bool)
    /// SO_LINGER {on, seconds}.
    case linger(on: Bool, seconds: Int32)
    case keepAlive(Bool)
    case keepIdle(Int32)
    case keepInterval(Int32)
    case keepCount(Int32)
    case noDelay(Bool)

    var level: Int32 {
        switch self {
        case .reuseAddress, .reusePort, .linger, .keepAlive: SOL_SOCKET
        case .keepIdle, .keepInterval, .keepCount, .noDelay: Int32(IPPROTO_TCP)
        }
    }

    var name: (Int32, SocketOptionName) {
        switch self {
        case .reuseAddress: (SO_REUSEADDR, .reuseAddress)
        case .reusePort: (SO_REUSEPORT, .reusePort)
        case .linger: (SO_LINGER, .linger)
        case .keepAlive: (SO_KEEPALIVE, .keepAlive)
        case .keepIdle: (TCP_KEEPIDLE, .keepIdle)
        case .keepInterval: (TCP_KEEPINTVL, .keepInterval)
        case .keepCount: (TCP_KEEPCNT, .keepCount)
        case .noDelay: (TCP_NODELAY, .noDelay)
        }
    }

    var valueText: String {
        switch self {
        case .reuseAddress(let b), .reusePort(let b), .keepAlive(let b), .noDelay(let b): b ? "1" : "0"
        case .linger(let on, let s): Linger(on: on, seconds: s).text
        case .keepIdle(let n), .keepInterval(let n), .keepCount(let n): String(n)
        }
    }
}
