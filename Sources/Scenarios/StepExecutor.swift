import Glibc
import Sockets
import TraceModel

/// Runs a scenario's steps: the main steps on the calling (scenario) thread,
/// each `thread` block on a pthread it creates. Threads created by the
/// scenario thread after its unshare() share its network namespace
/// (unshare(2); SWIFT-LINUX-NOTES.md), so Dispatch is never used here.
/// Every step is bounded by its timeout (SocketCalls interrupts the call).
final class StepExecutor: @unchecked Sendable {
    let scenario: Scenario
    let calls: SocketCalls
    /// The run's family (`--ipv6`), for sockets without their own.
    let ipv6: Bool
    private let lock = RecursiveLock()
    private var fds: [String: SocketDescriptor] = [:]
    private var families: [String: Bool] = [:]
    private var running: [String: pthread_t] = [:]
    private var finished: Set<String> = []
    /// Threads declared one after another start together: each waits until
    /// the main thread has started them all (it reaches a step that is not a thread).
    private var released = true
    private var failure: EnvironmentError?

    init(scenario: Scenario, calls: SocketCalls, ipv6: Bool) {
        self.scenario = scenario
        self.calls = calls
        self.ipv6 = ipv6
    }

    /// Runs every step; `afterStep` runs on the calling thread after each of its steps
    /// (the runner drains the capture there). Threads never joined are joined at the end.
    func run(afterStep: () -> Void) throws(EnvironmentError) {
        calls.enterThread(nil)
        try run(0..<scenario.steps.count, afterStep: afterStep)
        for name in lock.locked({ Array(running.keys) }).sorted() { join(name, whileWaiting: afterStep) }
        if let failure = lock.locked({ failure }) { throw failure }
    }

    private func run(_ range: Range<Int>, afterStep: () -> Void) throws(EnvironmentError) {
        var i = range.lowerBound
        while i < range.upperBound && !Interruption.isRequested {
            switch scenario.steps[i] {
            case .thread(let name, let count):
                lock.locked { released = false }
                try start(name, i + 1..<i + 1 + count)
                i += 1 + count
                if i >= range.upperBound { lock.locked { released = true } }
                continue
            case .join(let name):
                lock.locked { released = true }
                join(name, whileWaiting: afterStep)
            case .sleep(let ms):
                // The main thread keeps draining the capture while it sleeps.
                lock.locked { released = true }
                calls.beginStep(i, timeoutMilliseconds: 0, snapshot: false)
                let end = RealtimeClock.now().nanoseconds + Int64(ms) * 1_000_000
                while case let left = end - RealtimeClock.now().nanoseconds, left > 0, !Interruption.isRequested {
                    afterStep()
                    RealtimeClock.sleep(nanoseconds: min(left, 2_000_000))
                }
            case let step:
                lock.locked { released = true }
                calls.beginStep(i, timeoutMilliseconds: scenario.stepInfo[i].timeoutMilliseconds, snapshot: scenario.stepInfo[i].snapshot)
                try perform(step)
            }
            afterStep()
            if let failure = lock.locked({ failure }) { throw failure }
            i += 1
        }
    }

    private func start(_ name: String, _ range: Range<Int>) throws(EnvironmentError) {
        let box = ThreadBody { [self] in
            calls.enterThread(name)
            while !lock.locked({ released }) { RealtimeClock.sleep(nanoseconds: 50_000) }
            do throws(EnvironmentError) {
                try run(range) {}
            } catch {
                lock.locked { if failure == nil { failure = error } }
            }
            lock.locked { _ = finished.insert(name) }
        }
        var thread = pthread_t()
        let context = Unmanaged.passRetained(box).toOpaque()
        let status = pthread_create(&thread, nil, { raw in
            Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            throw EnvironmentError(.namespace, "cannot start thread \(name): \(String(cString: strerror(status)))")
        }
        lock.locked { running[name] = thread }
    }

    /// pthread_join(3), once the thread has run its steps; the main thread
    /// drains the capture meanwhile. Each of the thread's steps is bounded by
    /// its timeout, so this returns.
    private func join(_ name: String, whileWaiting: () -> Void) {
        guard let thread = lock.locked({ running.removeValue(forKey: name) }) else { return }
        while !lock.locked({ finished.contains(name) }) {
            whileWaiting()
            RealtimeClock.sleep(nanoseconds: 1_000_000)
        }
        pthread_join(thread, nil)
    }

    private func fd(_ name: String) -> SocketDescriptor { lock.locked { fds[name] } ?? SocketDescriptor(rawValue: -1) }

    private func address(_ spec: AddressSpec, port: UInt16, socket: String) -> SocketAddress {
        let v6 = lock.locked { families[socket] } ?? ipv6
        switch spec {
        case .loopback, .unspec: return SocketAddress(v6 ? .v6(.loopback) : .v4(.loopback), port)
        case .any: return SocketAddress(v6 ? .v6(.any) : .v4(.any), port)
        case .literal(let a): return SocketAddress(a, port)
        }
    }

    private func perform(_ step: Step) throws(EnvironmentError) {
        switch step {
        case .socket(let name, let udp, let family, let nonBlocking):
            let v6 = family ?? ipv6
            if let d = calls.socket(name, ipv6: v6, udp: udp, nonBlocking: nonBlocking).0 { lock.locked { fds[name] = d; families[name] = v6 } }
        case .option(let name, let option): calls.setOption(fd(name), option)
        case .nonBlocking(let name): calls.setNonBlocking(fd(name))
        case .bind(let name, let spec, let port): calls.bind(fd(name), address(spec, port: port, socket: name))
        case .listen(let name, let backlog): calls.listen(fd(name), backlog: backlog)
        case .connect(let name, .unspec, _): calls.disconnect(fd(name))
        case .connect(let name, let spec, let port): calls.connect(fd(name), address(spec, port: port, socket: name))
        case .accept(let name, let newName):
            if let d = calls.accept(fd(name), as: newName).0 {
                let v6 = lock.locked { families[name] } ?? ipv6
                lock.locked { fds[newName] = d; families[newName] = v6 }
            }
        case .send(let name, let payload, let signal): calls.send(fd(name), payload.bytes, signal: signal)
        case .sendTo(let name, let spec, let port, let text):
            calls.sendTo(fd(name), Array(text.utf8), address(spec, port: port, socket: name))
        case .recv(let name, let capacity, let nonBlocking): calls.recv(fd(name), capacity: capacity, nonBlocking: nonBlocking)
        case .shutdown(let name, let how): calls.shutdown(fd(name), how)
        case .close(let name):
            calls.close(fd(name))
            lock.locked { fds[name] = nil }
        case .poll(let name, let writable, let timeout): calls.poll(fd(name), writable: writable, timeoutMilliseconds: timeout)
        case .socketError(let name): calls.socketError(fd(name))
        case .getsockname(let name): calls.getsockname(fd(name))
        case .sleep(let ms): RealtimeClock.sleep(nanoseconds: Int64(ms) * 1_000_000)
        case .firewall(let hook, let rule):
            try calls.firewall("\(hook): \(rule)") { () throws(EnvironmentError) in try Firewall.add(hook: hook, rule: rule) }
        case .firewallFlush:
            try calls.firewall("flush") { () throws(EnvironmentError) in try Firewall.flush() }
        case .setSysctl(let name, let value):
            try calls.namespaceEvent(.sysctl, [.init(name, .text(value))]) { () throws(EnvironmentError) in
                try NetworkNamespace.setSysctl(name, value)
                return []
            }
        case .readSysctl(let name):
            try calls.namespaceEvent(.sysctl, [.init("name", .text(name))]) { () throws(EnvironmentError) in
                [.init(name, .text(NetworkNamespace.sysctl(name) ?? "?"))]
            }
        case .thread, .join:
            break
        }
    }
}

/// A thread's body, handed to pthread_create through its context pointer.
final class ThreadBody: @unchecked Sendable {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
