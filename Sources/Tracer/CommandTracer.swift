import Analysis
import CSystem
import Capture
import Glibc
import KernelEvents
import PacketWire
import Scenarios
import Sockets
import Synchronization
import TraceModel

/// What `synscope trace -- COMMAND` recorded.
public struct CommandRun: Sendable {
    public var command: [String]
    /// Traced in the host's network namespace (`--host`) rather than a fresh one.
    public var host: Bool
    public var device: String
    public var kernel: String
    /// COMMAND's exit code, or 128 + the signal that ended it.
    public var exitStatus: Int32
    public var packets: [CapturedPacket]
    public var linkType: LinkType
    public var statistics: LiveCapture.Statistics
    public var calls: TracedCalls
    /// The network instance's events that belong to the run (KernelEventScope).
    public var kernelEvents: [KernelEvent]
    public var kernelEventsLost: Int
    public var namespace: String?
    public var hostNamespace: String?
    public var interrupted: String?
    /// Host mode: packets on the interface that were not the traced program's, left out.
    public var packetsLeftOut = 0
    /// Processes still running when COMMAND ended, stopped by synscope.
    public var stoppedProcesses = 0
}

/// Runs a command under the kernel's eye: in a fresh network namespace whose loopback
/// has a per-run name (or, with `host`, in the host's), libpcap on that device, one
/// tracing instance for its packets and timers and one that follows the command's
/// process tree (set_event_pid + event-fork) for its system calls.
public enum CommandTracer {
    public enum Failure: Error, Sendable {
        case environment(EnvironmentError)
        /// The command does not exist (exit 127, as env(1) and the shell do) or cannot be executed (126).
        case cannotExecute(String, status: Int32)
    }

    public static func run(_ command: [String], host: Bool, interface: String?, settle: Int64) throws(Failure) -> CommandRun {
        ProcessTree.becomeSubreaper()
        let box = Box { () throws(Failure) -> CommandRun in try traceOnThisThread(command, host: host, interface: interface, settle: settle) }
        return try box.runOnNewThread()
    }

    /// What a trace runs with: the device it captures on, the capture, the two tracing
    /// instances (the network's and the program's) and the child, started and released.
    struct Tracing {
        var device: String
        var capture: LiveCapture
        var network: KernelTracer
        var program: KernelTracer
        var child: GatedChild
    }

    static func traceOnThisThread(_ command: [String], host: Bool, interface: String?, settle: Int64) throws(Failure) -> CommandRun {
        let t = try start(command, host: host, interface: interface)
        let (exitStatus, stopped) = waitForExit(t)
        return finish(t, command: command, host: host, settle: settle, exitStatus: exitStatus, stopped: stopped)
    }

    /// The namespace (or the host's interface), the capture and the tracing instances, then the child, released.
    static func start(_ command: [String], host: Bool, interface: String?) throws(Failure) -> Tracing {
        let device: String
        do throws(EnvironmentError) {
            if host {
                device = interface ?? "lo"
            } else {
                try NetworkNamespace.enterNew()
                device = String(format4: UInt16.random(in: 0...UInt16.max))
                try NetworkNamespace.renameLoopback(to: device)
            }
        } catch { throw .environment(error) }
        let loopback = !host || isLoopback(device)
        let capture: LiveCapture
        let network: KernelTracer
        do throws(EnvironmentError) {
            capture = try LiveCapture(device: device, filter: "tcp or udp or icmp or icmp6", inboundOnly: loopback)
            network = try KernelTracer(device: device)
        } catch { throw .environment(error) }
        let child: GatedChild
        do {
            child = try GatedChild(command)
        } catch GatedChild.Failure.notFound(let name) {
            throw .cannotExecute("\(name): command not found", status: 127)
        } catch {
            throw .environment(EnvironmentError(.namespace, "cannot start \(command[0]): \(error)"))
        }
        let program: KernelTracer
        do throws(EnvironmentError) {
            program = try KernelTracer(following: child.pid)
            try network.start()
            try program.start()
        } catch {
            kill(child.pid, SIGKILL)
            _ = ProcessTree.stopAll(grace: 0, patience: 0)
            throw .environment(error)
        }
        if let e = child.release() {
            _ = ProcessTree.stopAll(grace: 0, patience: 0)
            network.remove(); program.remove()
            throw .cannotExecute("\(command[0]): \(String(cString: strerror(e)))", status: e == ENOENT ? 127 : 126)
        }
        return Tracing(device: device, capture: capture, network: network, program: program, child: child)
    }

    /// While it runs: drain the capture and both instances; on SIGINT/SIGTERM pass the signal on
    /// (after 200 ms, in case the terminal already sent it to the whole process group), SIGKILL after 5 s.
    /// Then stops what is left of its process tree. Returns the command's exit status and how many processes were stopped.
    static func waitForExit(_ t: Tracing) -> (status: Int32, stopped: Int) {
        var interruptedAt: Int64?
        var forwarded = false
        // The capture is drained on a thread of its own: its ring holds only ~500 full-size loopback
        // frames, and reading the tracing instances can take longer than that many packets take to come.
        let drainer = Drainer(t.capture)
        drainer.start()
        while true {
            t.network.collect()
            t.program.collect()
            if let status = ProcessTree.poll(t.child.pid) {
                let stopped = ProcessTree.stopAll(grace: 1_000_000_000)
                drainer.stop()
                return (status, stopped)
            }
            if Interruption.isRequested {
                let now = ProcessTree.now()
                if interruptedAt == nil { interruptedAt = now }
                if !forwarded, now - interruptedAt! >= 200_000_000 {
                    let r = Interruption.requested
                    kill(t.child.pid, r > 0 ? r : SIGTERM)
                    forwarded = true
                }
                if now - interruptedAt! >= 5_000_000_000 { kill(t.child.pid, SIGKILL) }
            }
            usleep(5_000)
        }
    }

    /// After the last process: the rest of the wire, the events, and the run they make.
    static func finish(_ t: Tracing, command: [String], host: Bool, settle: Int64, exitStatus: Int32, stopped: Int) -> CommandRun {
        // A sentinel in our own namespace marks "everything sent so far is captured"; then quiet
        // for 100 ms (FIN retransmissions of orphaned sockets) within `settle`.
        if !host { WireEnd.sendSentinel(t.capture) }
        t.capture.drainUntilQuiet(settle: 100_000_000, limit: Interruption.isRequested ? 0 : settle)
        let net = t.network.stop()
        let followed = t.program.stop()

        let reports = net.events.filter { if case .errorReport = $0.kind { true } else { false } }
        let calls = TracedCalls(events: merge(followed.events, reports), root: t.child.pid,
                                rootName: String(command[0].split(separator: "/").last ?? "command"))
        var packets = t.capture.packets
        var netEvents = net.events
        var leftOut = 0
        if host {
            let all = packets.map { ($0.frame, $0.timestamp, $0.originalLength) }
            let allFlows = KernelAttribution.tcpFlows(packets)
            let kept: Set<Int>
            (packets, kept) = ownPackets(packets, flows: allFlows, calls: calls, events: netEvents)
            leftOut = all.count - kept.count
            netEvents = KernelAttribution.events(netEvents, without: Set(all.map(\.0)).subtracting(kept), packets: all, flows: allFlows)
        }
        let flows = KernelEventScope.flows(of: packets)
        var run = CommandRun(command: command, host: host, device: t.device, kernel: ScenarioRunner.kernel, exitStatus: exitStatus, packets: packets,
                             linkType: t.capture.linkType, statistics: t.capture.statistics(), calls: calls,
                             kernelEvents: KernelEventScope.prune(netEvents, threads: Set(calls.threads), flows: flows),
                             kernelEventsLost: max(0, net.lost) + max(0, followed.lost),
                             namespace: NetworkNamespace.currentThreadNamespace(), hostNamespace: NetworkNamespace.processNamespace())
        run.packetsLeftOut = leftOut
        run.stoppedProcesses = stopped
        if Interruption.isRequested { run.interrupted = Interruption.describe(Interruption.requested) }
        return run
    }

    /// Two time-ordered event lists as one (stable: the first list wins ties).
    static func merge(_ a: [KernelEvent], _ b: [KernelEvent]) -> [KernelEvent] {
        var out: [KernelEvent] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j >= b.count || i < a.count && a[i].time <= b[j].time { out.append(a[i]); i += 1 } else { out.append(b[j]); j += 1 }
        }
        return out
    }

    /// Host mode: the packets of the traced program's connections, renumbered, and how many others were left out.
    /// A connection is the program's when a traced socket holds its 4-tuple, a traced listener its local end,
    /// or the kernel queued one of its packets in a traced task's system call.
    /// `packetFlows`: each TCP segment's 4-tuple by frame (`KernelAttribution.tcpFlows`).
    static func ownPackets(_ packets: [CapturedPacket], flows packetFlows: [Int: DirectedFlow], calls: TracedCalls,
                           events: [KernelEvent]) -> ([CapturedPacket], kept: Set<Int>) {
        var flows: Set<DirectedFlow> = []
        var listeners: Set<SocketAddress> = []
        for e in calls.events {
            let outputs = Dictionary(e.outputs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            if e.call == .listen, case .address(let a)? = outputs["addr"] { listeners.insert(a) }
            if case .address(let l)? = outputs["addr"], case .address(let r)? = outputs["peer"] { flows.insert(DirectedFlow(l, r)) }
            if case .address(let l)? = outputs["local"], case .address(let r)? = e.argument("addr") { flows.insert(DirectedFlow(l, r)) }
        }
        let threads = Set(calls.threads)
        let attested = KernelAttribution.attest(packets: packets.map { ($0.frame, $0.timestamp, $0.originalLength) },
                                                flows: packetFlows, events: events)
        for (frame, flow) in packetFlows {
            if case .syscall(let t)? = attested[frame]?.origin, threads.contains(t) { flows.insert(flow) }
        }
        var kept: [CapturedPacket] = []
        var keptFrames: Set<Int> = []
        for p in packets {
            guard let f = packetFlows[p.frame] else { continue }
            let mine = flows.contains(f) || flows.contains(f.reversed) || listeners.contains { l in
                [f.source, f.destination].contains { $0.port == l.port && ($0.address == l.address || l.address == .v4(.any) || l.address == .v6(.any)) }
            }
            guard mine else { continue }
            keptFrames.insert(p.frame)
            var q = p
            q.frame = kept.count + 1
            kept.append(q)
        }
        return (kept, keptFrames)
    }

    /// ARPHRD_LOOPBACK (772) in /sys/class/net/DEV/type.
    static func isLoopback(_ device: String) -> Bool {
        guard let f = fopen("/sys/class/net/\(device)/type", "r") else { return device == "lo" }
        defer { fclose(f) }
        var buffer = [CChar](repeating: 0, count: 32)
        guard fgets(&buffer, 32, f) != nil else { return false }
        return atoi(buffer) == 772
    }
}

/// Runs the trace on a pthread of its own (a namespace belongs to the thread that unshared it)
/// while the calling thread waits and, on SIGINT/SIGTERM, wakes it. Scenarios' `ThreadBox` does
/// the same for a `LiveRun`; one generic box with typed throws crashes Swift 6.3.1's
/// SendNonSendable pass (signal 6), so there are two.
final class Box: @unchecked Sendable {
    let body: () throws(CommandTracer.Failure) -> CommandRun
    var result: Result<CommandRun, CommandTracer.Failure>?
    let done = Atomic<Bool>(false)

    init(_ body: @escaping () throws(CommandTracer.Failure) -> CommandRun) { self.body = body }

    func runOnNewThread() throws(CommandTracer.Failure) -> CommandRun {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            do throws(CommandTracer.Failure) { box.result = .success(try box.body()) } catch { box.result = .failure(error) }
            box.done.store(true, ordering: .releasing)
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Box>.fromOpaque(context).release()
            throw .environment(EnvironmentError(.namespace, "cannot start the trace thread: \(String(cString: strerror(status)))"))
        }
        let slot = Interruption.addTarget(thread)
        while !done.load(ordering: .acquiring) { usleep(10_000) }
        Interruption.removeTarget(slot)
        pthread_join(thread, nil)
        switch result! {
        case .success(let run): return run
        case .failure(let e): throw e
        }
    }
}

/// Drains a live capture on its own pthread until stopped; the capture is not touched by
/// anyone else meanwhile (stop() joins the thread before the capture is used again).
final class Drainer: @unchecked Sendable {
    let capture: LiveCapture
    let stopping = Atomic<Bool>(false)
    var thread = pthread_t()
    var started = false

    init(_ capture: LiveCapture) { self.capture = capture }

    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        started = pthread_create(&thread, nil, { raw in
            let d = Unmanaged<Drainer>.fromOpaque(raw!).takeRetainedValue()
            while !d.stopping.load(ordering: .acquiring) {
                if d.capture.drain() == 0 { usleep(1_000) }
            }
            return nil
        }, context) == 0
        if !started { Unmanaged<Drainer>.fromOpaque(context).release() }
    }

    func stop() {
        stopping.store(true, ordering: .releasing)
        if started { pthread_join(thread, nil); started = false }
        capture.drain()
    }
}
