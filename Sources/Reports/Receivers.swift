import Analysis
import PacketWire

/// The socket each report draws a run's segment to: the one that first sent
/// on the reverse flow (a socket connected to itself: itself); nil when no
/// socket sent back.
///
/// Not `TimelineSegment.receiver` (the owner of the reverse 4-tuple): that
/// one is nil for connections nobody accepted, which the reports draw to the
/// listener that answered, and names a reused 4-tuple's later owner.
struct Receivers {
    private var firstSender: [DirectedFlow: String] = [:]

    init(_ t: Timeline) {
        for s in t.segments {
            if let n = s.sender, firstSender[s.segment.flow] == nil { firstSender[s.segment.flow] = n }
        }
    }

    /// The socket that sent the first segment on `flow`.
    func firstSender(on flow: DirectedFlow) -> String? { firstSender[flow] }

    func receiver(of s: TimelineSegment) -> String? {
        let flow = s.segment.flow
        return flow.source == flow.destination ? s.sender : firstSender[flow.reversed]
    }
}
