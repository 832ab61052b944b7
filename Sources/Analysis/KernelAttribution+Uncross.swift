import TraceModel

extension KernelAttribution {
    /// Two same-length packets queued on two CPUs at once can reach the capture ring in the other order
    /// than their net_dev_queue events, and the first-fit match then pairs them crosswise. A reply goes back
    /// on the reverse of the flow it answers (RFC 9293 3.10.7.4: the response is sent to the segment's
    /// source), so a packet matched to a softirq reply to a packet of another flow is matched wrongly, as is a
    /// reply captured before what it answers. Such a packet swaps queue events with a same-length packet near it when that leaves fewer replies on the
    /// wrong flow. Packets without a TCP flow (UDP, ICMP) are never taken as evidence either way.
    static func uncross(_ pairs: inout [(Int, Int)], packets: [Packet], flows: [Int: DirectedFlow], events: [KernelEvent]) {
        var frameOfQueue = Dictionary(pairs.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        var queueOfReceive: [Int: Int] = [:]
        for (q, _) in pairs { if let r = receiveIndex(ofQueue: q, events: events) { queueOfReceive[r] = q } }
        // reply queue → the queue of the packet it answers, and back; a swap moves frames, not these.
        var answers: [Int: Int] = [:]
        var replies: [Int: [Int]] = [:]
        for (q, _) in pairs where events[q].context == .softirq {
            if case .receive(let r)? = softirqOrigin(queue: q, events: events), let answered = queueOfReceive[r] {
                answers[q] = answered
                replies[answered, default: []].append(q)
            }
        }
        guard !answers.isEmpty else { return }
        // A reply on another flow than the reverse of the packet it answers, or captured before that packet
        // (the answered packet passed the capture tap before loopback_xmit handed it to the receiver).
        func wrong(_ reply: Int, _ answered: Int) -> Bool {
            guard let r = frameOfQueue[reply], let a = frameOfQueue[answered] else { return false }
            if r < a { return true }
            guard let f = flows[r], let c = flows[a] else { return false }
            return f != c.reversed
        }
        /// Replies on the wrong flow among the relations of these queue events.
        func misfits(_ qs: [Int]) -> Int {
            var relations: Set<[Int]> = []
            for q in qs {
                if let a = answers[q] { relations.insert([q, a]) }
                for r in replies[q] ?? [] { relations.insert([r, q]) }
            }
            return relations.filter { wrong($0[0], $0[1]) }.count
        }
        let timeOf = Dictionary(packets.map { ($0.frame, $0.time.nanoseconds) }, uniquingKeysWith: { a, _ in a })
        for i in pairs.indices where misfits([pairs[i].0]) > 0 {
            let (q, p) = pairs[i]
            guard case .devQueue(_, let length) = events[q].kind, let tp = timeOf[p] else { continue }
            for j in pairs.indices where j != i {
                let (q2, p2) = pairs[j]
                guard case .devQueue(_, let length2) = events[q2].kind, length2 == length, let tp2 = timeOf[p2],
                      abs(events[q2].time.nanoseconds - tp) <= window, abs(events[q].time.nanoseconds - tp2) <= window else { continue }
                let before = misfits([q, q2])
                frameOfQueue[q] = p2
                frameOfQueue[q2] = p
                if misfits([q, q2]) < before {
                    pairs[i].1 = p2
                    pairs[j].1 = p
                    break
                }
                frameOfQueue[q] = p
                frameOfQueue[q2] = p2
            }
        }
    }
}
