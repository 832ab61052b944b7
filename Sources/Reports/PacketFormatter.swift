import Analysis
import PacketWire
import TraceModel

/// Renders decoded packets one per line: tcpdump-style text or JSON Lines.
///
/// Holds the per-direction state that relative sequence numbers need, so
/// one formatter serves one capture file.
public struct PacketFormatter {
    public enum Format: Sendable { case text, jsonl }

    public var format: Format
    /// Show sequence numbers relative to each direction's ISN.
    public var relative: Bool
    private var sequencer = RelativeSequenceNumbers()

    public init(format: Format, relative: Bool) {
        self.format = format
        self.relative = relative
    }

    /// Appends the line for one packet (with its newline) to `sink`.
    /// In jsonl, packets that are not IP produce nothing.
    public mutating func append(frame: Int, timestamp: Timestamp, bytes: UnsafeRawBufferPointer,
                                originalLength: Int, decoded: DecodedPacket, to sink: inout ByteSink) {
        var rel: (seq: UInt32, ack: UInt32?)?
        if relative, let tcp = decoded.tcp, let src = decoded.source, let dst = decoded.destination {
            let flow = DirectedFlow(SocketAddress(src, tcp.sourcePort), SocketAddress(dst, tcp.destinationPort))
            rel = sequencer.relative(tcp, along: flow)
        }
        switch format {
        case .text:
            PacketText.append(timestamp: timestamp, bytes: bytes, originalLength: originalLength,
                              decoded: decoded, relative: rel, to: &sink)
        case .jsonl:
            PacketJSON.append(frame: frame, timestamp: timestamp, decoded: decoded, relative: rel, to: &sink)
        }
    }
}

/// Names for IP protocol numbers, as tcpdump prints them.
func protocolName(_ proto: UInt8) -> String {
    switch proto {
    case PacketDecoder.Proto.tcp: "tcp"
    case PacketDecoder.Proto.udp: "udp"
    case PacketDecoder.Proto.icmp: "icmp"
    case PacketDecoder.Proto.icmpv6: "icmp6"
    default: "ip-proto-\(proto)"
    }
}
