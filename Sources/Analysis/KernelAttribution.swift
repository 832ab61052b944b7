import PacketWire
import TraceModel

/// What the kernel's own events say about one captured packet.
public struct PacketAttestation: Hashable, Sendable, Codable {
    public enum Origin: Hashable, Sendable, Codable {
        /// Queued in process context by this thread (the caller maps thread and time to the call).
        case syscall(thread: Int32)
        /// Queued in softirq while processing the received packet with this frame (nil: not captured).
        case reply(toFrame: Int?)
        /// Queued by a fired kernel timer (tcp_delack_timer, tcp_write_timer, tcp_keepalive_timer, reqsk_timer_handler…).
        case timer(function: String)
    }
    public var origin: Origin
    /// For process context: the frame being processed from the socket backlog when it was queued, when
    /// an event names it (a reset answering a backlogged segment); nil otherwise.
    public var processing: Int?
    /// tcp_send_reset's reason for an RST (NO_SOCKET, TCP_ABORT_ON_CLOSE…).
    public var resetReason: ResetReason?
    public var resetHasSocket: Bool?
    /// tcp_retransmit_skb or tcp_retransmit_synack fired for this transmission.
    public var retransmit: Bool
    /// kfree_skb reason of this packet at the receiver (nil: not freed by kfree_skb). NOT_SPECIFIED
    /// also comes from a TIME-WAIT socket's discard path after it answered the segment.
    public var fate: DropReason?

    public init(origin: Origin, processing: Int? = nil, resetReason: ResetReason? = nil, resetHasSocket: Bool? = nil,
                retransmit: Bool = false, fate: DropReason? = nil) {
        self.origin = origin
        self.processing = processing
        self.resetReason = resetReason
        self.resetHasSocket = resetHasSocket
        self.retransmit = retransmit
        self.fate = fate
    }
}

/// Matches captured packets to the kernel events of the same run.
///
/// Only net_dev_queue/netif_receive_skb of the run's own device name are in `events` (the tracer
/// filters them), so a packet is only ever matched to its own queue event; every other event is
/// used only through its position relative to those (same CPU, same context, same skb).
///
/// Orders this kernel (6.18) was seen to produce, on which the rules rely:
/// - tcp_v4_send_reset (a reset answering a segment, skbaddr = that segment) fires before its RST is queued;
///   tcp_send_active_reset (skbaddr 0) fires after its RST was queued (net/ipv4/tcp_output.c);
/// - tcp_retransmit_skb and tcp_retransmit_synack fire after the retransmission was queued;
/// - timer callbacks run between timer_expire_entry and timer_expire_exit in the timer softirq, and no
///   NET_RX processing interleaves with them on that CPU (kernel/softirq.c runs one vector at a time,
///   between softirq_entry and softirq_exit).
public enum KernelAttribution {
    public typealias Packet = (frame: Int, time: Timestamp, length: Int)

    /// Largest distance between a packet's pcap time and its net_dev_queue time that still matches.
    static let window: Int64 = 5_000_000

    /// packets: every captured packet of the run's device, in capture order (frame, pcap time, original length);
    /// flows: the TCP 4-tuple of each frame that has one (see `match`).
    /// Returns an attestation for each frame the events explain; a frame missing from the result has none.
    public static func attest(packets: [Packet], flows: [Int: DirectedFlow] = [:], events: [KernelEvent]) -> [Int: PacketAttestation] {
        let queued = match(packets: packets, flows: flows, events: events)
        var frameOfReceive: [Int: Int] = [:]   // index of a receive event → frame
        for (eventIndex, frame) in queued {
            if let r = receiveIndex(ofQueue: eventIndex, events: events) { frameOfReceive[r] = frame }
        }
        var result: [Int: PacketAttestation] = [:]
        for (q, frame) in queued {
            if let a = attestation(queue: q, events: events, frameOfReceive: frameOfReceive) { result[frame] = a }
        }
        return result
    }

    /// `events` without the net_dev_queue and netif_receive_skb events of `dropped` frames: what a
    /// capture that keeps only some of the device's packets (`trace --host`) must store, so that the
    /// packets it keeps match their own queue events when the run is rebuilt.
    public static func events(_ events: [KernelEvent], without dropped: Set<Int>, packets: [Packet],
                              flows: [Int: DirectedFlow] = [:]) -> [KernelEvent] {
        var remove: Set<Int> = []
        for (q, frame) in match(packets: packets, flows: flows, events: events) where dropped.contains(frame) {
            remove.insert(q)
            if let r = receiveIndex(ofQueue: q, events: events) { remove.insert(r) }
        }
        return events.indices.filter { !remove.contains($0) }.map { events[$0] }
    }

    /// The TCP 4-tuple of each captured packet that is a TCP segment, by frame: what `match` checks replies with.
    public static func tcpFlows(_ packets: [CapturedPacket]) -> [Int: DirectedFlow] {
        var flows: [Int: DirectedFlow] = [:]
        for p in packets {
            let decoded = p.bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: p.linkType, originalLength: p.originalLength) }
            if let s = TCPSegment(decoded, frame: p.frame, time: p.timestamp) { flows[p.frame] = s.flow }
        }
        return flows
    }

    /// Event index of each packet's net_dev_queue → frame: the earliest unmatched queue event of the same
    /// length within `window` of the packet's time (libpcap sees each packet once, in queue order on each CPU),
    /// then `uncross`ed with the packets' TCP flows.
    static func match(packets: [Packet], flows: [Int: DirectedFlow] = [:], events: [KernelEvent]) -> [(Int, Int)] {
        let queues = events.indices.filter { if case .devQueue = events[$0].kind { true } else { false } }
        var used = [Bool](repeating: false, count: queues.count)
        var first = 0
        var result: [(Int, Int)] = []
        for p in packets {
            while first < queues.count && (used[first] || events[queues[first]].time.nanoseconds < p.time.nanoseconds - window) { first += 1 }
            var k = first
            while k < queues.count && events[queues[k]].time.nanoseconds <= p.time.nanoseconds + window {
                if !used[k], case .devQueue(_, let length) = events[queues[k]].kind, length == p.length {
                    used[k] = true
                    result.append((queues[k], p.frame))
                    break
                }
                k += 1
            }
        }
        if !flows.isEmpty { uncross(&result, packets: packets, flows: flows, events: events) }
        return result
    }

    /// The netif_receive_skb of the packet queued at `q`: the next receive of the same skb before it is queued again.
    static func receiveIndex(ofQueue q: Int, events: [KernelEvent]) -> Int? {
        guard case .devQueue(let skb, _) = events[q].kind else { return nil }
        var i = q + 1
        while i < events.count, events[i].time.nanoseconds <= events[q].time.nanoseconds + window {
            switch events[i].kind {
            case .receive(let s, _) where s == skb: return i
            case .devQueue(let s, _) where s == skb: return nil
            default: i += 1
            }
        }
        return nil
    }

    static func sameContext(_ a: KernelEvent, _ b: KernelEvent) -> Bool {
        guard a.context == b.context, a.context != .hardirq else { return false }
        return a.context == .process ? a.pid == b.pid : a.cpu == b.cpu
    }

    static func attestation(queue q: Int, events: [KernelEvent], frameOfReceive: [Int: Int]) -> PacketAttestation? {
        let e = events[q]
        var a: PacketAttestation
        var anchor: Int? = nil   // the receive being processed, or the timer entry
        var lower = -1           // where the search for a reset before the queue stops
        switch e.context {
        case .hardirq:
            return nil
        case .process:
            a = PacketAttestation(origin: .syscall(thread: e.pid))
        case .softirq:
            guard let origin = softirqOrigin(queue: q, events: events) else { return nil }
            switch origin {
            case .receive(let r): anchor = r; lower = r; a = PacketAttestation(origin: .reply(toFrame: frameOfReceive[r]))
            case .timer(let t, let f): lower = t; a = PacketAttestation(origin: .timer(function: f))
            }
        }
        // A reset answering a segment: tcp_send_reset with that segment's skb, before the queue, in the same context.
        var i = q - 1
        while i > lower {
            let x = events[i]
            if sameContext(x, e) {
                if case .devQueue = x.kind { break }
                if case .sendReset(_, _, _, let reason, let hasSocket, let received) = x.kind, received != 0 {
                    let answered = lastReceive(of: received, before: i, events: events)
                    if anchor == nil || answered == anchor {
                        a.resetReason = reason
                        a.resetHasSocket = hasSocket
                        if e.context == .process, let answered { a.processing = frameOfReceive[answered] }
                    }
                    break
                }
            }
            if e.context == .process && x.time.nanoseconds < e.time.nanoseconds - window { break }
            i -= 1
        }
        // An active reset and retransmissions are traced right after their queue: the next events of the same context.
        var j = q + 1
        while j < events.count, events[j].time.nanoseconds <= e.time.nanoseconds + window {
            let x = events[j]
            if sameContext(x, e) {
                if case .sendReset(_, _, _, let reason, let hasSocket, let received) = x.kind, received == 0, a.resetReason == nil {
                    a.resetReason = reason
                    a.resetHasSocket = hasSocket
                } else if case .retransmit = x.kind {
                    a.retransmit = true
                } else {
                    break
                }
            }
            j += 1
        }
        a.fate = fate(queue: q, events: events)
        return a
    }

    enum SoftirqOrigin { case receive(Int), timer(Int, String) }

    /// Walks back on the queue's CPU: the receive being processed, or the timer whose callback is running.
    /// Meeting first a process-context event, a timer exit, or a softirq entry or exit means neither (a
    /// tasklet or an hrtimer, or a softirq run after the one that received the last packet): nil.
    static func softirqOrigin(queue q: Int, events: [KernelEvent]) -> SoftirqOrigin? {
        let cpu = events[q].cpu
        var i = q - 1
        while i >= 0 {
            let x = events[i]
            if x.cpu == cpu {
                switch x.context {
                case .process: return nil
                case .hardirq: break
                case .softirq:
                    switch x.kind {
                    case .receive: return .receive(i)
                    case .timerEntry(let f): return .timer(i, f)
                    case .timerExit, .softirqEntry, .softirqExit: return nil
                    default: break
                    }
                }
            }
            i -= 1
        }
        return nil
    }

    static func lastReceive(of skb: UInt64, before index: Int, events: [KernelEvent]) -> Int? {
        var i = index - 1
        while i >= 0 {
            if case .receive(let s, _) = events[i].kind, s == skb { return i }
            if case .devQueue(let s, _) = events[i].kind, s == skb { return nil }
            i -= 1
        }
        return nil
    }

    /// kfree_skb of the packet's skb after it was queued: before its receive (dropped on the way in),
    /// or after it, on the receiving CPU in the same softirq run before that CPU receives another packet
    /// of the run, or from a socket backlog in process context; never after the skb is queued again.
    /// Limit: skb addresses are reused, and kfree_skb carries no namespace. If the packet was consumed
    /// silently and another namespace's packet got the same address and was dropped inside that same
    /// window, its drop would be taken for this packet's; no test run has shown it.
    static func fate(queue q: Int, events: [KernelEvent]) -> DropReason? {
        guard case .devQueue(let skb, _) = events[q].kind else { return nil }
        var receivedOn: Int? = nil
        var inSoftirq = false    // still inside the softirq that received it
        for i in (q + 1)..<events.count {
            let x = events[i]
            switch x.kind {
            case .devQueue(let s, _) where s == skb:
                return nil
            case .receive(let s, _):
                if s == skb && receivedOn == nil { receivedOn = x.cpu; inSoftirq = true }
                else if x.cpu == receivedOn { inSoftirq = false }
            case .softirqExit where x.cpu == receivedOn:
                inSoftirq = false
            case .drop(let s, let reason, _) where s == skb:
                if receivedOn == nil || x.context == .process || (inSoftirq && x.cpu == receivedOn) { return reason }
            default:
                break
            }
        }
        return nil
    }
}
