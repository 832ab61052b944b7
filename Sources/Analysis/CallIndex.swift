import PacketWire
import TraceModel

/// The calls of a timeline indexed by thread and by socket, and segments by flow, so that
/// the correlator's "the call running on this thread then" and "the last segment of this
/// flow" questions cost a binary search or a short scan, not a pass over the whole run
/// (a traced loop of 1,000 requests has ~12,000 segments and ~10,000 calls).
/// Every answer is the one the plain scan over the time-ordered list would give.
struct CallIndex {
    /// Per thread: the calls it can be running (its own, and those without a thread id when
    /// it is one of the run's threads), in index order, with the running maximum of their ends.
    private var byThread: [Int32: (calls: [TimelineSyscall], maxEnd: [Timestamp])] = [:]
    private var bySocket: [String: [TimelineSyscall]] = [:]

    init(_ calls: [TimelineSyscall], threads: Set<Int32>) {
        let own = calls.filter { $0.event.socket != "namespace" && $0.event.socket != "firewall" }
        var lists: [Int32: [TimelineSyscall]] = [:]
        let unthreaded = own.filter { $0.event.tid == nil }
        for c in own { if let t = c.event.tid { lists[t, default: []].append(c) } }
        for t in threads {
            guard !unthreaded.isEmpty else { break }
            lists[t] = (lists[t, default: []] + unthreaded).sorted { $0.index < $1.index }
        }
        for (t, list) in lists {
            var maxEnd: [Timestamp] = []
            maxEnd.reserveCapacity(list.count)
            for c in list { maxEnd.append(max(maxEnd.last ?? c.event.end, c.event.end)) }
            byThread[t] = (list, maxEnd)
        }
        for c in calls { bySocket[c.event.socket, default: []].append(c) }
    }

    /// The call `thread` was in at `time`: the last whose window holds it, else the last begun before.
    func running(at time: Timestamp, thread: Int32) -> TimelineSyscall? {
        guard let (list, maxEnd) = byThread[thread] else { return nil }
        // Calls are in begin order: the last begun at or before `time`.
        var low = 0, high = list.count
        while low < high {
            let mid = (low + high) / 2
            if list[mid].event.begin <= time { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        var j = low - 1
        while j >= 0, maxEnd[j] >= time {
            if list[j].event.end >= time { return list[j] }
            j -= 1
        }
        return list[low - 1]
    }

    /// The last call on `socket` that satisfies `match`.
    func last(on socket: String, where match: (TimelineSyscall) -> Bool) -> TimelineSyscall? {
        bySocket[socket]?.last(where: match)
    }
}
