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
    /// For process context: the frame being processed from the socket backlog when it was queued, if known.
    public var processing: Int?
    /// tcp_send_reset's reason for an RST (NO_SOCKET, TCP_ABORT_ON_CLOSE…).
    public var resetReason: String?
    public var resetHasSocket: Bool?
    public var retransmit: Bool
    /// kfree_skb drop reason of this packet at the receiver (nil: delivered / not dropped).
    public var fate: String?

    public init(origin: Origin, processing: Int? = nil, resetReason: String? = nil, resetHasSocket: Bool? = nil,
                retransmit: Bool = false, fate: String? = nil) {
        self.origin = origin
        self.processing = processing
        self.resetReason = resetReason
        self.resetHasSocket = resetHasSocket
        self.retransmit = retransmit
        self.fate = fate
    }
}

/// Matches captured packets to the kernel events of the same run.
public enum KernelAttribution {
    /// packets: every captured packet of the run's device, in capture order (frame, pcap time, original length).
    /// Returns an attestation for each frame the events explain.
    public static func attest(packets: [(frame: Int, time: Timestamp, length: Int)], events: [KernelEvent]) -> [Int: PacketAttestation] {
        [:]
    }
}
