import TraceModel

/// Which of a tracing instance's events belong to one run. The packet
/// events are filtered on the run's own device name by the tracer; the
/// others (resets, retransmissions, drops, state changes, timers) carry no
/// namespace, and on a busy machine most of them are other namespaces' work.
///
/// An event is kept when it ran in process context on one of the run's
/// threads, or when it ran on a CPU within `window` of one of the run's
/// packets being queued or received on that CPU: softirq and timer work is
/// done per CPU, one packet or timer at a time (kernel/softirq.c), and on
/// loopback the kernel's answer to a packet follows its receive within tens
/// of microseconds. Another namespace's event inside that window on the same
/// CPU would be kept; the attribution still matches events to packets by
/// context and order, never by address alone.
public enum KernelEventScope {
    public static let window: Int64 = 200_000

    public static func prune(_ events: [KernelEvent], threads: Set<Int32>) -> [KernelEvent] {
        var packetTimes: [Int: [Int64]] = [:]
        for e in events {
            switch e.kind {
            case .devQueue, .receive: packetTimes[e.cpu, default: []].append(e.time.nanoseconds)
            default: break
            }
        }
        for k in packetTimes.keys { packetTimes[k]!.sort() }
        let kept = events.map { near($0, packetTimes: packetTimes, threads: threads) }
        // A socket of the run also changes state where no packet is near (a connect()
        // that times out closes in its timer): its pointer, seen in a kept event, keeps those too.
        var sockets: Set<UInt64> = []
        var tuples: Set<DirectedFlowKey> = []
        for (e, keep) in zip(events, kept) where keep {
            if case .setState(let l, let r, _, _, let sk) = e.kind {
                sockets.insert(sk)
                if let l, let r, l.port != 0 { tuples.insert(DirectedFlowKey(l, r)) }
            }
        }
        return zip(events, kept).compactMap { e, keep in
            if keep { return e }
            switch e.kind {
            case .setState(_, _, _, _, let sk) where sockets.contains(sk): return e
            case .errorReport(let l?, let r?, _) where tuples.contains(DirectedFlowKey(l, r)): return e
            default: return nil
            }
        }
    }

    struct DirectedFlowKey: Hashable {
        var local: SocketAddress, remote: SocketAddress
        init(_ l: SocketAddress, _ r: SocketAddress) { local = l; remote = r }
    }

    static func near(_ e: KernelEvent, packetTimes: [Int: [Int64]], threads: Set<Int32>) -> Bool {
        do {
            switch e.kind {
            case .devQueue, .receive, .marker: return true
            default: break
            }
            if e.context == .process { return threads.contains(e.pid) }
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
    }
}
