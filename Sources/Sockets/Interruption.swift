import Glibc
import Synchronization

/// Why a live run stops early: SIGINT or SIGTERM from the user, or the
/// run's deadline. Set from a signal handler (an atomic store is
/// async-signal-safe), read by the runner between steps and by every loop
/// that waits (the capture drain, sleeps, EINTR retries).
public enum Interruption {
    /// 0: keep going; otherwise the signal number, or `deadline`.
    private static let reason = Atomic<Int32>(0)
    public static let deadline: Int32 = -1

    public static var requested: Int32 { reason.load(ordering: .acquiring) }
    public static var isRequested: Bool { requested != 0 }

    /// A word for the metadata and stderr: `SIGINT`, `SIGTERM`, `deadline`.
    public static func describe(_ r: Int32) -> String {
        switch r {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case deadline: "deadline"
        default: "signal \(r)"
        }
    }

    /// Installs the SIGINT and SIGTERM handlers (no SA_RESTART, so a blocking
    /// call of the woken thread returns EINTR: signal(7)) and a no-op SIGUSR1
    /// handler used to wake the scenario thread.
    public static func install() {
        _ = targets.count
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            Interruption.reason.store(signal, ordering: .releasing)
            Interruption.wake()
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        var wake = sigaction()
        wake.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&wake.sa_mask)
        wake.sa_flags = 0
        sigaction(SIGUSR1, &wake, nil)
        // A blocked mask is inherited through exec (signal(7)): a parent that
        // blocks SIGINT would otherwise make Ctrl-C wait until the run ends.
        // Threads made later inherit this thread's mask.
        var set = sigset_t()
        sigemptyset(&set)
        for s in [SIGINT, SIGTERM, SIGUSR1] { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Requests a stop from ordinary code (the deadline watchdog).
    public static func request(_ r: Int32) {
        reason.store(r, ordering: .releasing)
        wake()
    }

    /// Clears the request before the next run.
    public static func reset() { reason.store(0, ordering: .releasing) }

    /// The threads to wake, one slot per run in progress (`run --jobs N` runs several at once).
    /// (Touched by `install()`, so that the lazy initializer never runs inside the signal handler.)
    private static let targets: [Slot] = (0..<16).map { _ in Slot() }
    private final class Slot: Sendable { let thread = Atomic<UInt>(0) }

    /// Sends SIGUSR1 to every registered thread but the caller (async-signal-safe: atomic loads, pthread_kill(3)).
    static func wake() {
        let me = pthread_self()
        for slot in targets {
            let t = slot.thread.load(ordering: .acquiring)
            if t != 0 && t != me { pthread_kill(t, SIGUSR1) }
        }
    }

    /// Registers a thread to wake; returns its slot for `removeTarget` (nil when all 16 are taken:
    /// that run then cannot be woken early, only stopped between steps).
    public static func addTarget(_ thread: pthread_t) -> Int? {
        for (i, slot) in targets.enumerated() {
            if slot.thread.compareExchange(expected: 0, desired: thread, ordering: .acquiringAndReleasing).exchanged { return i }
        }
        return nil
    }

    public static func removeTarget(_ slot: Int?) {
        if let slot { targets[slot].thread.store(0, ordering: .releasing) }
    }

    public static func wakeTarget() { wake() }
}
