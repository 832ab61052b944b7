import PacketWire
import TraceModel

/// Small packets shared by several suites.
enum Fixture {
    /// A 20-byte TCP SYN, 49152 -> 80, no options.
    static let tcpSYN: [UInt8] = Build.tcp(sourcePort: 49152, destinationPort: 80, sequence: 1000, acknowledgment: 0,
                                           dataOffset: 5, flags: 0x002, window: 65535)

    /// IPv4 (total length 20 + 20) carrying `tcpSYN`.
    static let ipv4SYN: [UInt8] = Build.ipv4(totalLength: 40, proto: 6) + tcpSYN

    /// IPv6 (payload length 20) carrying `tcpSYN`.
    static let ipv6SYN: [UInt8] = Build.ipv6(payloadLength: 20, nextHeader: 6) + tcpSYN
}
