import Glibc
import Sockets
import Synchronization
import TraceModel

/// Runs scenarios `jobs` at a time, each on its own thread in its own namespace, and hands
/// the results back in catalogue order on the calling thread. Scenarios are isolated from one
/// another by their namespaces, devices and tracing instances (`KernelEventScope`); what one
/// shows does not depend on another running beside it. A stop request (SIGINT, SIGTERM, a
/// deadline) lets the runs in progress finish as interrupted and starts no new one.
public final class ScenarioBatch: @unchecked Sendable {
    let scenarios: [Scenario]
    let body: @Sendable (Scenario) throws(EnvironmentError) -> LiveRun
    private let next = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let state = Mutex<[Result<LiveRun, EnvironmentError>?]>([])
    private let skipped = Mutex<Set<Int>>([])

    public init(_ scenarios: [Scenario], body: @escaping @Sendable (Scenario) throws(EnvironmentError) -> LiveRun) {
        self.scenarios = scenarios
        self.body = body
        state.withLock { $0 = Array(repeating: nil, count: scenarios.count) }
    }

    /// Calls `each` with every result in order, as soon as it and those before it are done; a
    /// scenario not started because a stop was requested is not passed. `each` may throw to stop.
    public func run(jobs: Int, each: (Scenario, Result<LiveRun, EnvironmentError>) throws -> Void) rethrows {
        var threads: [pthread_t] = []
        for _ in 0..<max(1, min(jobs, scenarios.count)) {
            var t = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            if pthread_create(&t, nil, { raw in
                Unmanaged<ScenarioBatch>.fromOpaque(raw!).takeRetainedValue().work()
                return nil
            }, context) == 0 {
                threads.append(t)
            } else {
                Unmanaged<ScenarioBatch>.fromOpaque(context).release()
            }
        }
        defer {
            stopping.store(true, ordering: .releasing)
            for t in threads { pthread_join(t, nil) }
        }
        for i in scenarios.indices {
            while true {
                if let r = state.withLock({ $0[i] }) { try each(scenarios[i], r); break }
                if skipped.withLock({ $0.contains(i) }) { return }
                usleep(5_000)
            }
        }
    }

    private func work() {
        while true {
            let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard i < scenarios.count else { return }
            if Interruption.isRequested || stopping.load(ordering: .acquiring) { skipped.withLock { _ = $0.insert(i) }; continue }
            let result: Result<LiveRun, EnvironmentError>
            do throws(EnvironmentError) { result = .success(try body(scenarios[i])) } catch { result = .failure(error) }
            state.withLock { $0[i] = result }
        }
    }
}
