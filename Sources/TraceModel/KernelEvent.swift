/// Where a kernel event ran, from the trace line's irq/softirq column
/// (Documentation/trace/ftrace.rst, "hardirq/softirq": 's' softirq, 'h'/'H' hardirq).
public enum KernelContext: String, Codable, Sendable {
    case process, softirq, hardirq
}

/// One tracepoint hit recorded in the run's own tracing instance, on the
/// pcap clock. KernelEvents produces these; Analysis interprets them.
public struct KernelEvent: Hashable, Sendable, Codable {
    /// On the pcap clock (CLOCK_REALTIME), mapped from the instance's trace clock.
    public var time: Timestamp
    public var cpu: Int
    /// common_pid: the thread (tid) on whose stack the event ran (0: idle).
    public var pid: Int32
    public var context: KernelContext
    public var kind: Kind

    public init(time: Timestamp, cpu: Int, pid: Int32, context: KernelContext, kind: Kind) {
        self.time = time
        self.cpu = cpu
        self.pid = pid
        self.context = context
        self.kind = kind
    }

    /// The tracepoints synscope records. Addresses are as the kernel prints
    /// them (nil when it prints none); states and reasons are its symbols
    /// (TCP_SYN_SENT, NO_SOCKET…). skb and socket values are the pointers as
    /// printed (hashed %p): equal within one boot, reused after a free.
    public enum Kind: Hashable, Sendable, Codable {
        /// net:net_dev_queue on the run's device; `length` is skb->len (on `lo` it includes the 14-byte Ethernet header).
        case devQueue(skb: UInt64, length: Int)
        /// net:netif_receive_skb on the run's device; `length` is skb->len after the Ethernet header was pulled.
        case receive(skb: UInt64, length: Int)
        /// timer:timer_expire_entry (function name as printed, e.g. tcp_delack_timer).
        case timerEntry(function: String)
        /// timer:timer_expire_exit.
        case timerExit
        /// irq:softirq_entry / irq:softirq_exit of the vectors that can queue TCP segments
        /// (TIMER, NET_RX, TASKLET, HRTIMER), as printed: `action` is "NET_RX"…
        case softirqEntry(action: String)
        case softirqExit(action: String)
        /// tcp:tcp_send_reset. `received` is the skb the RST answers (0: none, an active reset).
        case sendReset(local: SocketAddress?, remote: SocketAddress?, state: KernelTCPState, reason: ResetReason, hasSocket: Bool, received: UInt64)
        /// tcp:tcp_receive_reset.
        case receiveReset(local: SocketAddress?, remote: SocketAddress?, state: KernelTCPState)
        /// tcp:tcp_retransmit_skb (synAck false) or tcp:tcp_retransmit_synack (synAck true).
        case retransmit(local: SocketAddress?, remote: SocketAddress?, state: KernelTCPState, synAck: Bool)
        /// sock:inet_sock_set_state, TCP only. `socket` is 0: this kernel's text format does not print skaddr.
        case setState(local: SocketAddress?, remote: SocketAddress?, old: KernelTCPState, new: KernelTCPState, socket: UInt64)
        /// sock:inet_sk_error_report.
        case errorReport(local: SocketAddress?, remote: SocketAddress?, errno: Int32)
        /// skb:kfree_skb; `location` is the freeing function as printed (tcp_v4_rcv+0x99/0x1400).
        /// NOT_SPECIFIED is also what a TIME-WAIT socket's discard path reports for a segment it did answer.
        case drop(skb: UInt64, reason: DropReason, location: String)
        /// syscalls:sys_enter_* (name without the prefix, e.g. "connect").
        case syscallEnter(name: Syscall, args: [UInt64])
        /// syscalls:sys_exit_*.
        case syscallExit(name: Syscall, result: Int64)
        /// task:task_newtask, in the parent's context: the new task's id, the parent's comm, clone flags
        /// (CLONE_THREAD 0x10000: a thread of the same process; CLONE_FILES 0x400: a shared fd table).
        case newTask(pid: Int32, comm: String, flags: UInt64)
        /// sched:sched_process_exec: the program the task now runs.
        case exec(pid: Int32, filename: String)
        /// sched:sched_process_exit; `groupDead` when the whole process is gone.
        case processExit(pid: Int32, groupDead: Bool)
        /// tcp:tcp_rcv_space_adjust, run by tcp_recvmsg() in the reading task's context: the socket's ends.
        case receiveSpace(local: SocketAddress?, remote: SocketAddress?)
        /// A line written to the instance's trace_marker.
        case marker(String)
    }
}
