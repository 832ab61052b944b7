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
        var fds: [String: SocketDescriptor] = [:]
        for step in scenario.steps {
            try perform(step, calls: calls, fds: &fds, ipv6: ipv6)
            capture.drain()
        }
        capture.drainUntilQuiet(settle: settle)
        calls.closeAll()
        capture.drainUntilQuiet(settle: settle)
        return LiveRun(scenario: scenario.name, kernel: kernel, ipv6: ipv6, events: calls.events, packets: capture.packets,
                       linkType: capture.linkType, statistics: capture.statistics(),
                       namespace: NetworkNamespace.currentThreadNamespace(), hostNamespace: NetworkNamespace.processNamespace())
    }

    static func address(_ spec: AddressSpec, port: UInt16, ipv6: Bool) -> SocketAddress {
        switch spec {
        case .loopback, .unspec: SocketAddress(ipv6 ? .v6(.loopback) : .v4(.loopback), port)
        case .any: SocketAddress(ipv6 ? .v6(.any) : .v4(.any), port)
        case .literal(let a): SocketAddress(a, port)
        }
    }

    static func perform(_ step: Step, calls: SocketCalls, fds: inout [String: SocketDescriptor], ipv6: Bool) throws(EnvironmentError) {
        func fd(_ name: String) -> SocketDescriptor { fds[name] ?? SocketDescriptor(rawValue: -1) }
        switch step {
        case .socket(let name, let udp):
            if let d = calls.socket(name, ipv6: ipv6, udp: udp).0 { fds[name] = d }
        case .option(let name, let option): calls.setOption(fd(name), option)
        case .nonBlocking(let name): calls.setNonBlocking(fd(name))
        case .bind(let name, let spec, let port): calls.bind(fd(name), address(spec, port: port, ipv6: ipv6))
        case .listen(let name, let backlog): calls.listen(fd(name), backlog: backlog)
        case .connect(let name, .unspec, _): calls.disconnect(fd(name))
        case .connect(let name, let spec, let port): calls.connect(fd(name), address(spec, port: port, ipv6: ipv6))
        case .accept(let name, let newName):
            if let d = calls.accept(fd(name), as: newName).0 { fds[newName] = d }
        case .send(let name, let text): calls.send(fd(name), Array(text.utf8))
        case .sendTo(let name, let spec, let port, let text): calls.sendTo(fd(name), Array(text.utf8), address(spec, port: port, ipv6: ipv6))
        case .recv(let name, let capacity, let nonBlocking): calls.recv(fd(name), capacity: capacity, nonBlocking: nonBlocking)
        case .shutdown(let name, let how): calls.shutdown(fd(name), how)
        case .close(let name):
            calls.close(fd(name))
            fds[name] = nil
        case .poll(let name, let writable, let timeout): calls.poll(fd(name), writable: writable, timeoutMilliseconds: timeout)
        case .socketError(let name): calls.socketError(fd(name))
        case .getsockname(let name): calls.getsockname(fd(name))
        case .sleep(let ms): RealtimeClock.sleep(nanoseconds: Int64(ms) * 1_000_000)
        case .firewall(let hook, let rule):
            try calls.firewall("\(hook): \(rule)") { () throws(EnvironmentError) in try Firewall.add(hook: hook, rule: rule) }
        case .firewallFlush:
            try calls.firewall("flush") { () throws(EnvironmentError) in try Firewall.flush() }
        case .setSysctl(let name, let value):
            try calls.namespaceEvent("sysctl", [.init(name, .text(value))]) { () throws(EnvironmentError) in
                try NetworkNamespace.setSysctl(name, value)
                return []
            }
        case .readSysctl(let name):
            try calls.namespaceEvent("sysctl", [.init("name", .text(name))]) { () throws(EnvironmentError) in
                [.init(name, .text(NetworkNamespace.sysctl(name) ?? "?"))]
            }
        }
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
