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
        /// trace_pipe, opened non-blocking by the first collect() (it must be closed before rmdir).
        var pipe: Int32 = -1
        /// A line cut by the end of the last read.
        var carry: [UInt8] = []
        /// Events read so far, stamped with `offset` (stop() corrects them if the marker disagrees).
        var events: [KernelEvent] = []
        /// The trace-clock stamp of the clock marker, once read.
        var markerClock: Int64? = nil
        var readFailed = false
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
    public convenience init(device: String) throws(EnvironmentError) {
        guard !device.isEmpty, device.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != 34 && $0 != 92 }) else {
            throw EnvironmentError(.tracing, "kernel events: bad device name '\(device)'")
        }
        try self.init(device: device, tracepoints: Self.tracepoints(device: device), bufferKiB: Self.bufferKiB, follow: nil)
    }

    /// A second instance for `synscope trace`: the socket calls of process `pid` and of every task it
    /// creates afterwards (set_event_pid with the event-fork option, ftrace.rst), their processes
    /// (task_newtask, sched_process_exec/exit) and the socket facts their calls reveal. It must be
    /// an instance of its own: set_event_pid filters every event of an instance by the current task,
    /// and the packet events run in other tasks' softirqs.
    public convenience init(following pid: Int32) throws(EnvironmentError) {
        var points: [(event: String, filter: String?)] = [
            ("task/task_newtask", nil), ("sched/sched_process_exec", nil), ("sched/sched_process_exit", nil),
            ("sock/inet_sock_set_state", "protocol == 6"), ("tcp/tcp_rcv_space_adjust", nil),
        ]
        for call in Self.programCalls { points += [("syscalls/sys_enter_\(call)", nil), ("syscalls/sys_exit_\(call)", nil)] }
        try self.init(device: "", tracepoints: points, bufferKiB: 8192, follow: pid)
    }

    private init(device: String, tracepoints: [(event: String, filter: String?)], bufferKiB: Int, follow: Int32?) throws(EnvironmentError) {
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
            try Self.write(instance, "buffer_size_kb", String(bufferKiB))
            try Self.write(instance, "trace_clock", "mono")
            if let follow {
                try Self.write(instance, "options/event-fork", "1")
                try Self.write(instance, "set_event_pid", String(follow))
            }
            for (event, filter) in tracepoints {
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

    /// The system calls `init(following:)` records (syscalls:sys_enter_NAME / sys_exit_NAME): the socket
    /// calls, reads and writes (kept only on sockets), waits, and the calls that change a process's fd table.
    public static let programCalls: [Syscall] = [
        .socket, .bind, .listen, .accept, .accept4, .connect, .shutdown, .close, .closeRange,
        .sendto, .recvfrom, .sendmsg, .recvmsg, .read, .write, .readv, .writev,
        .setsockopt, .getsockopt, .poll, .ppoll, .select, .pselect6, .epollWait, .epollPwait, .epollCtl,
        .dup, .dup2, .dup3, .fcntl, .exitGroup,
    ]

    /// tracing_on=1, then a clock marker (see `measureOffset`).
    public func start() throws(EnvironmentError) {
        try state.withLock { s throws(EnvironmentError) in
            guard s.instance >= 0 else { throw EnvironmentError(.tracing, "kernel events: the tracing instance was removed") }
            try Self.write(s.instance, "tracing_on", "1")
            try Self.measureOffset(&s)
        }
    }

    /// Reads what the instance recorded so far (trace_pipe, non-blocking, consuming) so that its
    /// ring buffer cannot overflow in a long run. Call it often; stop() calls it a last time.
    public func collect() {
        state.withLock { s in Self.collect(&s) }
    }

    /// tracing_on=0, reads and parses everything left, removes the instance. After an error the
    /// recording is empty and `lost` is -1.
    public func stop() -> KernelRecording {
        let recording: KernelRecording = state.withLock { s in
            guard s.instance >= 0 else { return KernelRecording(events: [], lost: -1, clock: "mono") }
            _ = try? Self.write(s.instance, "tracing_on", "0")
            Self.collect(&s)
            guard !s.readFailed else { return KernelRecording(events: [], lost: -1, clock: "mono") }
            // The marker check: its trace-clock stamp must fall inside the CLOCK_MONOTONIC bracket
            // around the write; if it does not, the marker itself gives the offset.
            if let m = s.marker, let clock = s.markerClock, clock < m.low - 1000 || clock > m.high {
                let delta = (m.realtime - clock) - s.offset
                for i in s.events.indices { s.events[i].time = Timestamp(nanoseconds: s.events[i].time.nanoseconds &+ delta) }
            }
            let events = Self.pruneBrackets(s.events)
            s.events = []
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
            if s.pipe >= 0 {
                close(s.pipe)
                s.pipe = -1
            }
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
