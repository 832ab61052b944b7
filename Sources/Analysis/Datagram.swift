import PacketWire
import TraceModel

/// A UDP datagram or ICMP message as the correlator sees it.
public struct Datagram: Hashable, Sendable {
    public var frame: Int
    public var time: Timestamp
    /// `udp`, `icmp` or `icmp6`.
    public var proto: TransportProtocol
    public var source: SocketAddress
    public var destination: SocketAddress
    public var payloadLength: Int
    public var icmpType: UInt8?
    public var icmpCode: UInt8?
    /// The UDP flow an ICMP error quotes.
    public var quotes: DirectedFlow?

    /// The datagram in a decoded packet, if it is UDP or ICMP.
    public init?(_ p: DecodedPacket, frame: Int, time: Timestamp) {
        guard let src = p.source, let dst = p.destination else { return nil }
        self.frame = frame
        self.time = time
        switch p.transport {
        case .udp(let u):
            proto = .udp
            source = SocketAddress(src, u.sourcePort)
            destination = SocketAddress(dst, u.destinationPort)
            payloadLength = u.payloadLength
        case .icmp(let m):
            proto = m.isV6 ? .icmp6 : .icmp
            source = SocketAddress(src, 0)
            destination = SocketAddress(dst, 0)
            payloadLength = 0
            icmpType = m.type
            icmpCode = m.code
            if let q = m.quoted, q.proto == PacketDecoder.Proto.udp, let sp = q.sourcePort, let dp = q.destinationPort {
                quotes = DirectedFlow(SocketAddress(q.source, sp), SocketAddress(q.destination, dp))
            }
        default:
            return nil
        }
    }

    public var isPortUnreachable: Bool {
        (proto == .icmp && icmpType == 3 && icmpCode == 3) || (proto == .icmp6 && icmpType == 1 && icmpCode == 4)
    }
}
