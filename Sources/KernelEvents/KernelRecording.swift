import TraceModel

/// What a tracing instance recorded during one run.
public struct KernelRecording: Sendable, Codable, Hashable {
    /// Every parsed event of the run, in trace order, on the pcap clock.
    public var events: [KernelEvent]
    /// Events the kernel lost: overrun + dropped events over all CPUs (per_cpu/cpuN/stats).
    public var lost: Int
    /// The instance's trace_clock and how it was mapped, e.g. "mono".
    public var clock: String

    public init(events: [KernelEvent], lost: Int, clock: String) {
        self.events = events
        self.lost = lost
        self.clock = clock
    }
}
