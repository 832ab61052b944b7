import Glibc
import TraceModel

/// The end-of-run marker: one UDP datagram from a socket to its own address
/// on 127.0.0.1, so that nothing answers it (a bound destination draws no
/// ICMP port unreachable). It is made outside `SocketCalls` and never recorded.
public enum Sentinel {
    /// A fresh marker: a fixed prefix and 16 random bytes.
    public static func marker() -> [UInt8] {
        var marker = Array("synscope-sentinel:".utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<16 { marker.append(UInt8.random(in: 0...255, using: &generator)) }
        return marker
    }

    /// Sends `marker` on the calling thread's namespace's loopback; false when it could not be sent.
    public static func send(_ marker: [UInt8]) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard SocketAddress(.v4(.loopback), 0).withSockAddr({ Glibc.bind(fd, $0, $1) }) == 0 else { return false }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0, let own = SocketAddress(storage) else { return false }
        let sent = marker.withUnsafeBytes { bytes in
            own.withSockAddr { sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, $1) }
        }
        return sent == marker.count
    }
}
