import CSystem
import Glibc
import Synchronization
import TraceModel

/// A private tracing instance for one run (kernel Documentation/trace/ftrace.rst, "Instances").
///
/// tracefs is mounted only in a mount namespace private to the calling thread, so the host's
/// mounts stay as they were; the instance itself is kernel-global, so it is always removed
/// (stop(), remove(), deinit, or removeStale() after a crash). Nothing outside the instance is written.
public final class KernelTracer: Sendable {
    public let device: String
    /// instances/<name>, "synscope-<pid>-<n>".
    public let name: String
    private let state: Mutex<State>

    struct State {
        var instances: Int32 = -1
        var instance: Int32 = -1
        /// realtime − trace clock, measured by start().
        var offset: Int64 = 0
        var marker: (realtime: Int64, low: Int64, high: Int64)? = nil
    }

    static let tracefs = "/sys/kernel/tracing"
    static let sequence = Atomic<Int>(0)
    /// Per-CPU ring buffer of the instance (buffer_size_kb).
    static let bufferKiB = 4096

    /// The tracepoints recorded, and the filter each gets (events.rst, "Event filtering").
    /// Events without a device field are recorded whole: they carry no network namespace.
    static func tracepoints(device: String) -> [(event: String, filter: String?)] {
        [
            ("net/net_dev_queue", "name == \"\(device)\""),
            ("net/netif_receive_skb", "name == \"\(device)\""),
            ("timer/timer_expire_entry", nil), ("timer/timer_expire_exit", nil),
            // TIMER, NET_RX, TASKLET, HRTIMER (include/linux/interrupt.h): the softirq runs that can queue a segment.
            ("irq/softirq_entry", "vec == 1 || vec == 3 || vec == 6 || vec == 8"),
            ("irq/softirq_exit", "vec == 1 || vec == 3 || vec == 6 || vec == 8"),
            ("tcp/tcp_send_reset", nil), ("tcp/tcp_receive_reset", nil),
            ("tcp/tcp_retransmit_skb", nil), ("tcp/tcp_retransmit_synack", nil),
            ("sock/inet_sock_set_state", "protocol == 6"), ("sock/inet_sk_error_report", "protocol == 6"),
            ("skb/kfree_skb", "protocol == 2048 || protocol == 34525"),
        ]
    }

    /// Call on the scenario's own thread after it unshared CLONE_NEWNET: unshares CLONE_NEWNS on this
    /// thread, makes / rprivate, mounts tracefs there, and creates and configures the instance
    /// (tracing stays off until start()).
    public init(device: String) throws(EnvironmentError) {
        guard !device.isEmpty, device.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != 34 && $0 != 92 }) else {
            throw EnvironmentError(.tracing, "kernel events: bad device name '\(device)'")
        }
        self.device = device
        name = "synscope-\(getpid())-\(Self.sequence.wrappingAdd(1, ordering: .relaxed).newValue)"
        state = Mutex(State())
        let instances = try Self.mountPrivateTracefs()
        state.withLock { $0.instances = instances }
        Self.removeStale(in: instances)
        do throws(EnvironmentError) {
            guard mkdirat(instances, name, 0o700) == 0 else { throw Self.failure("mkdir instances/\(name)") }
            let instance = openat(instances, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard instance >= 0 else { throw Self.failure("open instances/\(name)") }
            state.withLock { $0.instance = instance }
            try Self.write(instance, "tracing_on", "0")
            try Self.write(instance, "buffer_size_kb", String(Self.bufferKiB))
            try Self.write(instance, "trace_clock", "mono")
            for (event, filter) in Self.tracepoints(device: device) {
                guard faccessat(instance, "events/\(event)/enable", W_OK, 0) == 0 else {
                    throw EnvironmentError(.tracing, "tracepoint \(event.replacingSlash) is not available on this kernel")
                }
                if let filter { try Self.write(instance, "events/\(event)/filter", filter) }
                try Self.write(instance, "events/\(event)/enable", "1")
            }
        } catch {
            remove()
            throw error
        }
    }

    deinit { remove() }

    /// The socket calls traced by `traceSyscalls(threads:)` (syscalls:sys_enter_NAME / sys_exit_NAME).
    public static let socketCalls = ["socket", "bind", "listen", "accept", "accept4", "connect", "shutdown", "close",
                                     "sendto", "recvfrom", "sendmsg", "recvmsg", "setsockopt", "getsockopt"]

    /// Records the socket calls of these threads (common_pid filter; children are not followed: add their
    /// ids with another call, which replaces the list). Arguments are raw values: pointers, not what they point to.
    public func traceSyscalls(threads: [Int32]) throws(EnvironmentError) {
        let filter = threads.isEmpty ? "common_pid == -1" : threads.map { "common_pid == \($0)" }.joined(separator: " || ")
        try state.withLock { s throws(EnvironmentError) in
            guard s.instance >= 0 else { throw EnvironmentError(.tracing, "kernel events: the tracing instance was removed") }
            for call in Self.socketCalls {
                for event in ["syscalls/sys_enter_\(call)", "syscalls/sys_exit_\(call)"] {
                    guard faccessat(s.instance, "events/\(event)/enable", W_OK, 0) == 0 else {
                        throw EnvironmentError(.tracing, "tracepoint \(event.replacingSlash) is not available on this kernel")
                    }
                    try Self.write(s.instance, "events/\(event)/filter", filter)
                    try Self.write(s.instance, "events/\(event)/enable", "1")
                }
            }
        }
    }

    /// tracing_on=1, then a clock marker (see `measureOffset`).
    public func start() throws(EnvironmentError) {
        try state.withLock { s throws(EnvironmentError) in
            guard s.instance >= 0 else { throw EnvironmentError(.tracing, "kernel events: the tracing instance was removed") }
            try Self.write(s.instance, "tracing_on", "1")
            try Self.measureOffset(&s)
        }
    }

    /// tracing_on=0, reads and parses everything, removes the instance. After an error the recording
    /// is empty and `lost` is -1.
    public func stop() -> KernelRecording {
        let recording: KernelRecording = state.withLock { s in
            guard s.instance >= 0 else { return KernelRecording(events: [], lost: -1, clock: "mono") }
            _ = try? Self.write(s.instance, "tracing_on", "0")
            guard let text = Self.read(s.instance, "trace") else { return KernelRecording(events: [], lost: -1, clock: "mono") }
            var offset = s.offset
            let lines = text.split(separator: "\n").compactMap { TraceLineParser.line($0) }
            // The marker check: its trace-clock stamp must fall inside the CLOCK_MONOTONIC bracket
            // around the write; if it does not, the marker itself gives the offset.
            if let m = s.marker, let line = lines.first(where: { $0.event == "tracing_mark_write" && $0.fields.hasPrefix("synscope-clock \(m.realtime)") }),
               line.clock < m.low - 1000 || line.clock > m.high {
                offset = m.realtime - line.clock
            }
            let events = Self.pruneBrackets(lines.compactMap { TraceLineParser.event($0, offset: offset) })
            return KernelRecording(events: events, lost: Self.lost(s.instance), clock: "mono")
        }
        remove()
        return recording
    }

    /// Turns tracing off and removes the instance; idempotent, safe after errors and from any thread
    /// (the directory descriptors keep the private tracefs mount reachable). It takes a lock: call it
    /// from a thread (a signal-handling DispatchSource, say), not from inside a signal handler.
    public func remove() {
        state.withLock { s in
            if s.instance >= 0 {
                _ = try? Self.write(s.instance, "tracing_on", "0")
                close(s.instance)
                s.instance = -1
            }
            if s.instances >= 0 {
                _ = unlinkat(s.instances, name, AT_REMOVEDIR)
                close(s.instances)
                s.instances = -1
            }
        }
    }

    /// Removes instances/synscope-<pid>-* whose process no longer exists, from a helper thread
    /// with its own private mount namespace.
    public static func removeStale() {
        PrivateThread.run {
            guard let instances = try? mountPrivateTracefs() else { return }
            removeStale(in: instances)
            close(instances)
        }
    }
}

extension String {
    var replacingSlash: String { String(map { $0 == "/" ? ":" : $0 }) }
}
