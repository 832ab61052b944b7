import CSystem
import Capture
import Glibc
import KernelEvents
import Analysis
import Sockets
import Synchronization
import TraceModel

/// What one live run recorded: the calls, the packets, the capture's counters.
public struct LiveRun: Sendable {
    public var scenario: String
    public var kernel: String
    public var ipv6: Bool
    public var events: [SyscallEvent]
    public var packets: [CapturedPacket]
    public var linkType: LinkType
    public var statistics: LiveCapture.Statistics
    /// The namespace the scenario ran in, and the process's own (they must differ).
    public var namespace: String?
    public var hostNamespace: String?
    /// Why the run stopped early (`SIGINT`, `deadline (120 s) during step 3: recv(server)`), nil when it ran to its end.
    public var interrupted: String?
    /// How the capture ended: false when the end-of-run sentinel was never captured (the capture may be cut short).
    public var sentinelSeen: Bool = true
    /// Retransmission or probe timers still pending when the wait for them ran out.
    public var pendingTimers: Int = 0
    /// The kernel's events of the run (nil when they could not be recorded: see `kernelUnavailable`).
    public var kernelEvents: [KernelEvent]?
    public var kernelUnavailable: String?
    /// Events the tracing instance lost (per_cpu stats: overrun + dropped).
    public var kernelEventsLost: Int = 0
    /// The scenario's loopback device, renamed per run (`syn-XXXX`) so that kernel events can be told from the host's.
    public var device: String = "lo"
    /// The threads that made the scenario's calls.
    public var threads: [Int32] = []
}

/// Runs a scenario live: a fresh network namespace on a dedicated thread,
/// libpcap on its `lo`, the steps through `SocketCalls`, then the capture
/// drained until the wire is done (`WireEnd`): the sentinel seen, the
/// kernel's pending retransmission timers fired or `settle` nanoseconds
/// passed. A run stops early, keeping what it captured, on SIGINT or SIGTERM
/// (`Interruption`) or when `deadline` nanoseconds have passed.
public enum ScenarioRunner {
    public static let defaultDeadline: Int64 = 120_000_000_000

    public static func run(_ scenario: Scenario, ipv6: Bool, settle: Int64,
                           deadline: Int64 = defaultDeadline) throws(EnvironmentError) -> LiveRun {
        let box = ThreadBox { () throws(EnvironmentError) -> LiveRun in
            try runInNamespace(scenario, ipv6: ipv6, settle: settle, deadline: deadline)
        }
        return try box.runOnNewThread(deadline: deadline)
    }

    /// The kernel release (uname(2)).
    public static var kernel: String {
        var u = utsname()
        uname(&u)
        return withUnsafeBytes(of: &u.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    static func runInNamespace(_ scenario: Scenario, ipv6: Bool, settle: Int64, deadline: Int64) throws(EnvironmentError) -> LiveRun {
        try NetworkNamespace.enterNew()
        // A device name of its own, so that the kernel's packet events of this run can be told from any other namespace's.
        let device = String(format4: UInt16.random(in: 0...UInt16.max))
        try NetworkNamespace.renameLoopback(to: device)
        for s in scenario.sysctls { try NetworkNamespace.setSysctl(s.name, s.value) }
        let capture = try LiveCapture(device: device, filter: "tcp or udp or icmp or icmp6")
        var tracer: KernelTracer?
        var unavailable: String?
        do {
            let t = try KernelTracer(device: device)
            try t.start()
            tracer = t
        } catch {
            unavailable = error.message
        }
        let calls = SocketCalls()
        var counters = NetCounters.read()
        var counted = 0
        /// After each step, and while the main thread waits: drain the capture,
        /// and give the counters that moved to the latest call.
        func afterStep() {
            capture.drain()
            let n = calls.events.count
            guard n != counted else { return }
            let now = NetCounters.read()
            calls.noteCounters(NetCounters.delta(counters, now), since: counted)
            counters = now
            counted = n
        }
        try StepExecutor(scenario: scenario, calls: calls, ipv6: ipv6).run(afterStep: afterStep)
        var stoppedAt: String?
        if Interruption.isRequested, let last = calls.events.last {
            stoppedAt = "step \((last.step ?? 0) + 1): \(last.call)(\(last.socket))"
        }
        var end = WireEnd.settle(capture, bound: settle, waitForTimers: false)
        let closing = calls.events.count
        counters = NetCounters.read()
        calls.closeAll()
        calls.noteCounters(NetCounters.delta(counters, NetCounters.read()), since: closing)
        let final = WireEnd.settle(capture, bound: settle, waitForTimers: !Interruption.isRequested)
        let recording = tracer?.stop()
        end.sentinelSeen = end.sentinelSeen && final.sentinelSeen
        var interrupted: String?
        let reason = Interruption.requested
        if reason != 0 {
            interrupted = Interruption.describe(reason)
            if reason == Interruption.deadline { interrupted! += " (\(deadline / 1_000_000_000) s)" }
            if let stoppedAt { interrupted! += " during \(stoppedAt)" }
        }
        var run = LiveRun(scenario: scenario.name, kernel: kernel, ipv6: ipv6, events: calls.events, packets: capture.packets,
                          linkType: capture.linkType, statistics: capture.statistics(),
                          namespace: NetworkNamespace.currentThreadNamespace(), hostNamespace: NetworkNamespace.processNamespace())
        run.interrupted = interrupted
        run.sentinelSeen = end.sentinelSeen
        run.pendingTimers = final.pendingTimers
        run.threads = Array(Set(calls.events.compactMap(\.tid) + [Int32(truncatingIfNeeded: synscope_gettid())])).sorted()
        let flows = KernelEventScope.flows(of: run.packets)
        run.kernelEvents = recording.map { KernelEventScope.prune($0.events, threads: Set(run.threads), flows: flows) }
        run.kernelUnavailable = unavailable
        run.kernelEventsLost = recording?.lost ?? 0
        run.device = device
        return run
    }
}

/// Runs the scenario on a new pthread and hands back its result. A fresh
/// thread per scenario is what gives each scenario its own namespace: the
/// namespace belongs to the thread that unshared (SWIFT-LINUX-NOTES.md).
final class ThreadBox: @unchecked Sendable {
    let body: () throws(EnvironmentError) -> LiveRun
    var run: LiveRun?
    var error: EnvironmentError?
    let done = Atomic<Bool>(false)

    init(_ body: @escaping () throws(EnvironmentError) -> LiveRun) { self.body = body }

    func execute() {
        do {
            run = try body()
        } catch {
            self.error = error
        }
        done.store(true, ordering: .releasing)
    }

    /// Starts the thread and waits for it. While it runs, this thread is the
    /// watchdog: past `deadline` it requests a stop, and while a stop is
    /// requested it wakes the scenario thread out of blocking calls (SIGUSR1).
    func runOnNewThread(deadline: Int64) throws(EnvironmentError) -> LiveRun {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { raw in
            Unmanaged<ThreadBox>.fromOpaque(raw!).takeRetainedValue().execute()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<ThreadBox>.fromOpaque(context).release()
            throw EnvironmentError(.namespace, "cannot start the scenario thread: \(String(cString: strerror(status)))")
        }
        let slot = Interruption.addTarget(thread)
        let start = RealtimeClock.monotonic()
        var lastWake: Int64 = 0
        while !done.load(ordering: .acquiring) {
            RealtimeClock.sleep(nanoseconds: 10_000_000)
            let now = RealtimeClock.monotonic()
            if now - start >= deadline && !Interruption.isRequested { Interruption.request(Interruption.deadline) }
            if Interruption.isRequested && now - lastWake >= 100_000_000 {
                Interruption.wakeTarget()
                lastWake = now
            }
        }
        Interruption.removeTarget(slot)
        pthread_join(thread, nil)
        if let error { throw error }
        guard let run else { throw EnvironmentError(.namespace, "the scenario thread returned nothing") }
        return run
    }
}

extension String {
    /// `syn-` and four hex digits: a per-run interface name (IFNAMSIZ allows 15 characters).
    public init(format4 value: UInt16) {
        let hex = String(value, radix: 16)
        self = "syn-" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}
