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
        return events.filter { e in
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
            let near = [low - 1, low].filter { $0 >= 0 && $0 < times.count }.map { abs(times[$0] - e.time.nanoseconds) }
            return (near.min() ?? .max) <= window
        }
    }
}
