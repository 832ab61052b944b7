import Capture
import Glibc
import Sockets
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
}

/// Runs a scenario live: a fresh network namespace on a dedicated thread,
/// libpcap on its `lo`, the steps through `SocketCalls`, then the capture
/// drained until the wire has been quiet for `settle`.
public enum ScenarioRunner {
    public static func run(_ scenario: Scenario, ipv6: Bool, settle: Int64) throws(EnvironmentError) -> LiveRun {
        let box = ThreadBox { () throws(EnvironmentError) -> LiveRun in
            try runInNamespace(scenario, ipv6: ipv6, settle: settle)
        }
        return try box.runOnNewThread()
    }

    /// The kernel release (uname(2)).
    public static var kernel: String {
        var u = utsname()
        uname(&u)
        return withUnsafeBytes(of: &u.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    static func runInNamespace(_ scenario: Scenario, ipv6: Bool, settle: Int64) throws(EnvironmentError) -> LiveRun {
        try NetworkNamespace.enterNew()
        for s in scenario.sysctls { try NetworkNamespace.setSysctl(s.name, s.value) }
        let capture = try LiveCapture(device: "lo", filter: "tcp or udp or icmp or icmp6")
        let calls = SocketCalls()
        try StepExecutor(scenario: scenario, calls: calls, ipv6: ipv6).run { capture.drain() }
        capture.drainUntilQuiet(settle: settle)
        calls.closeAll()
        capture.drainUntilQuiet(settle: settle)
        return LiveRun(scenario: scenario.name, kernel: kernel, ipv6: ipv6, events: calls.events, packets: capture.packets,
                       linkType: capture.linkType, statistics: capture.statistics(),
                       namespace: NetworkNamespace.currentThreadNamespace(), hostNamespace: NetworkNamespace.processNamespace())
    }
}

/// Runs the scenario on a new pthread and hands back its result. A fresh
/// thread per scenario is what gives each scenario its own namespace: the
/// namespace belongs to the thread that unshared (SWIFT-LINUX-NOTES.md).
final class ThreadBox: @unchecked Sendable {
    let body: () throws(EnvironmentError) -> LiveRun
    var run: LiveRun?
    var error: EnvironmentError?

    init(_ body: @escaping () throws(EnvironmentError) -> LiveRun) { self.body = body }

    func execute() {
        do {
            run = try body()
        } catch {
            self.error = error
        }
    }

    func runOnNewThread() throws(EnvironmentError) -> LiveRun {
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
        pthread_join(thread, nil)
        if let error { throw error }
        guard let run else { throw EnvironmentError(.namespace, "the scenario thread returned nothing") }
        return run
    }
}
