import PacketWire
import TraceModel

/// Which of a tracing instance's events belong to one run. The packet
/// events are filtered on the run's own device name by the tracer; the
/// others carry no namespace, and on a busy machine most of them are other
/// namespaces' work, often on the same addresses and ports (127.0.0.1:5000
/// is everyone's). An event is the run's when:
///
/// - it ran in process context on one of the run's threads;
/// - it names a 4-tuple the run's capture holds, either way round (state
///   changes, retransmissions, error reports, and resets not answering a
///   segment, near one of the run's packets): another namespace shares a whole
///   4-tuple only by chance, though a likely one on a busy machine, since
///   ephemeral ports are chosen by a hash of the addresses;
/// - it frees an skb the run queued or received (kfree_skb);
/// - it is a reset answering a segment of the run's 4-tuples that the run
///   received on that CPU within `window` before (tcp_send_reset's skbaddr);
/// - it is a timer or softirq boundary on a CPU within `window` of one of the
///   run's packets on that CPU (the attribution needs those brackets), or a
///   reset printed without a peer (`dest=0.0.0.0:0`, a listener under
///   tcp_abort_on_overflow) that near one of the run's packets.
public enum KernelEventScope {
    public static let window: Int64 = 200_000

    public static func prune(_ events: [KernelEvent], threads: Set<Int32>, flows: Set<DirectedFlow>) -> [KernelEvent] {
        var packetTimes: [Int: [Int64]] = [:]
        var skbs: Set<UInt64> = []
        var receives: [UInt64: [(cpu: Int, time: Int64)]] = [:]
        for e in events {
            switch e.kind {
            case .devQueue(let skb, _), .receive(let skb, _):
                packetTimes[e.cpu, default: []].append(e.time.nanoseconds)
                skbs.insert(skb)
                if case .receive = e.kind { receives[skb, default: []].append((e.cpu, e.time.nanoseconds)) }
            default: break
            }
        }
        /// The run received `skb` on this event's CPU just before it (skb addresses are reused, so the time matters).
        func answersRun(_ skb: UInt64, _ e: KernelEvent) -> Bool {
            receives[skb]?.contains { $0.cpu == e.cpu && (0...window).contains(e.time.nanoseconds - $0.time) } ?? false
        }
        for k in packetTimes.keys { packetTimes[k]!.sort() }
        func held(_ l: SocketAddress?, _ r: SocketAddress?) -> Bool {
            guard let l, let r else { return false }
            return flows.contains(DirectedFlow(l, r)) || flows.contains(DirectedFlow(r, l))
        }
        func near(_ e: KernelEvent) -> Bool { isNear(e, packetTimes) }
        return events.filter { e in
            switch e.kind {
            case .devQueue, .receive, .marker: return true
            default: break
            }
            if e.context == .process && threads.contains(e.pid) { return true }
            switch e.kind {
            case .setState(let l, let r, _, _, _), .receiveReset(let l, let r, _), .retransmit(let l, let r, _, _), .errorReport(let l, let r, _):
                return held(l, r)
            case .sendReset(let l, let r, _, _, _, let received):
                // A reset answering a segment names that segment's skb: one the run received on that CPU
                // just before. Another namespace on the same addresses and ports picks the same ephemeral
                // ports (the port offset hashes the addresses, not the namespace: inet_sk_port_offset),
                // so a 4-tuple alone does not tell its resets apart.
                // A listener's reset prints no peer (dest=0.0.0.0:0, tcp_abort_on_overflow).
                if received != 0 { return (held(l, r) || (r.map { $0.port == 0 } ?? true)) && answersRun(received, e) }
                return (held(l, r) || (r.map { $0.port == 0 } ?? true)) && near(e)
            case .drop(let skb, _, _):
                return skbs.contains(skb)
            case .timerEntry, .timerExit, .softirqEntry, .softirqExit:
                return near(e)
            default:
                return false
            }
        }
    }

    static func isNear(_ e: KernelEvent, _ packetTimes: [Int: [Int64]]) -> Bool {
        guard let times = packetTimes[e.cpu] else { return false }
        // The nearest packet time on this CPU, by binary search.
        var low = 0, high = times.count
        while low < high {
            let mid = (low + high) / 2
            if times[mid] < e.time.nanoseconds { low = mid + 1 } else { high = mid }
        }
        let distance = [low - 1, low].filter { $0 >= 0 && $0 < times.count }.map { abs(times[$0] - e.time.nanoseconds) }
        return (distance.min() ?? .max) <= window
    }

    /// The 4-tuples of a capture's TCP segments and UDP datagrams.
    public static func flows(of packets: [CapturedPacket]) -> Set<DirectedFlow> {
        var flows: Set<DirectedFlow> = []
        for p in packets {
            let decoded = p.bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: p.linkType, originalLength: p.originalLength) }
            if let s = TCPSegment(decoded, frame: p.frame, time: p.timestamp) {
                flows.insert(s.flow)
            } else if let d = Datagram(decoded, frame: p.frame, time: p.timestamp) {
                flows.insert(DirectedFlow(d.source, d.destination))
            }
        }
        return flows
    }
}
