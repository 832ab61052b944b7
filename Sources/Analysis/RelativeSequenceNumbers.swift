import PacketWire
import TraceModel

/// Relative sequence numbers per direction, for display only.
///
/// As Wireshark computes them: the base of a direction is the sequence
/// number of its SYN, else one below the first sequence number seen, else
/// one below the first acknowledgment of it. A SYN with a new sequence
/// number (port reuse) starts a new base. Acknowledgments are relative to
/// the base of the opposite direction.
public struct RelativeSequenceNumbers {
    private var bases: [DirectedFlow: SequenceNumber] = [:]

    public init() {}

    /// Relative (seq, ack) of `tcp` sent along `flow`; `ack` is nil when
    /// the ACK flag is clear.
    public mutating func relative(_ tcp: TCPHeader, along flow: DirectedFlow) -> (seq: UInt32, ack: UInt32?) {
        let isSYN = tcp.flags.contains(.syn)
        if isSYN, bases[flow] != tcp.sequence {
            bases[flow] = tcp.sequence
            if !tcp.flags.contains(.ack), flow.source != flow.destination {
                // A new SYN: the reverse direction's old base no longer applies.
                bases[flow.reversed] = nil
            }
        }
        let base = bases[flow] ?? {
            bases[flow] = tcp.sequence - 1
            return tcp.sequence - 1
        }()
        let seq = tcp.sequence.distance(from: base)
        guard tcp.flags.contains(.ack) else { return (seq, nil) }
        let reverse = flow.reversed
        if bases[reverse] == nil { bases[reverse] = tcp.acknowledgment - 1 }
        return (seq, tcp.acknowledgment.distance(from: bases[reverse]!))
    }
}
