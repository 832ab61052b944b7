import CSystem
import Glibc
import TraceModel

/// A recursive pthread mutex: SocketCalls' bookkeeping is shared by the
/// scenario's threads, and a recorded call may note a socket while it holds
/// it. The step executor's tables use it too.
public final class RecursiveLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() {
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}

/// What the calling thread is doing: its scenario thread name, its step, that step's timeout.
struct CallContext {
    var thread: String?
    var step: Int?
    var timeoutMilliseconds: Int = 0
    /// Read the kernel's socket table after each call of the step.
    var snapshot = true
}

/// The signal a step's timer sends to interrupt its thread's blocking call.
/// Its handler does nothing and is installed without SA_RESTART (signal(7):
/// an interrupted socket call then fails with EINTR instead of restarting).
public enum StepTimer {
    public static let signal = SIGUSR2

    static let installed: Bool = synscope_interrupting_handler(signal) == 0

    /// Unblocks the signal on the calling thread (pthread_sigmask(3)).
    static func unblock() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Arms a one-shot timer for the calling thread (timer_create(2) with SIGEV_THREAD_ID).
    static func arm(milliseconds: Int) -> timer_t? {
        guard milliseconds > 0, installed else { return nil }
        var timer: timer_t?
        guard synscope_thread_timer(signal, synscope_gettid(), &timer) == 0 else { return nil }
        var spec = itimerspec()
        spec.it_value = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        timer_settime(timer, 0, &spec, nil)
        return timer
    }

    /// Deletes the timer; true when it had already fired.
    static func disarm(_ timer: timer_t?) -> Bool {
        guard let timer else { return false }
        var left = itimerspec()
        timer_gettime(timer, &left)
        timer_delete(timer)
        return left.it_value.tv_sec == 0 && left.it_value.tv_nsec == 0
    }
}

extension SocketCalls {
    /// The one choke point: times `body`, records it with the calling thread's
    /// context, the kernel's view afterwards and what `after` adds, and
    /// appends it to `events` under the lock, in the order calls return.
    /// EINTR is recorded and the call retried, unless the step's timer
    /// caused it: then the call is recorded as timed out (`timed_out` output).
    func record(_ socket: String, fd: Int32, _ call: Syscall, _ arguments: [SyscallEvent.Argument],
                _ body: () -> Int32, after: (inout SyscallEvent) -> Void = { _ in }) -> SyscallEvent {
        let tid = synscope_gettid()
        let context = lock.locked { contexts[tid] } ?? CallContext()
        while true {
            let timer = StepTimer.arm(milliseconds: context.timeoutMilliseconds)
            let begin = RealtimeClock.now()
            let r = body()
            let e = errno
            let end = RealtimeClock.now()
            let fired = StepTimer.disarm(timer)
            var event = SyscallEvent(socket: socket, fd: fd, call: call, arguments: arguments,
                                     result: r >= 0 ? Int(r) : nil, error: r < 0 ? Errno(rawValue: e) : nil,
                                     begin: begin, end: end)
            event.thread = context.thread
            event.tid = tid
            event.step = context.step
            let timedOut = r < 0 && e == EINTR && fired
            if timedOut { event.outputs.append(.init("timed_out", .text("\(context.timeoutMilliseconds) ms"))) }
            // The table is read outside the lock, after `after` has noted new sockets.
            lock.locked { after(&event) }
            let rows = context.snapshot ? TCPTable.read() : []
            lock.locked {
                if context.snapshot { event.snapshot = snapshot(rows: rows, focus: socket) }
                recorded.append(event)
            }
            // A stop request (SIGINT, SIGTERM, the deadline) ends the retries too: the EINTR is the outcome.
            if r < 0 && e == EINTR && !timedOut && !Interruption.isRequested { continue }
            return event
        }
    }

    /// Records something that is not a call (a signal, a firewall change) with the thread's context.
    func recordEvent(_ event: SyscallEvent) {
        var event = event
        let tid = synscope_gettid()
        lock.locked {
            let context = contexts[tid] ?? CallContext()
            event.thread = context.thread
            event.tid = tid
            event.step = context.step
            recorded.append(event)
        }
    }

    /// Names the calling thread for the events it records (nil: the scenario's main thread),
    /// and lets the step timer's signal reach it: a thread created from a Dispatch
    /// worker inherits a mask that blocks it, and a blocked timer signal interrupts nothing.
    public func enterThread(_ name: String?) {
        StepTimer.unblock()
        let tid = synscope_gettid()
        lock.locked { contexts[tid] = CallContext(thread: name) }
    }

    /// The step the calling thread is about to run, and its timeout (0: none).
    public func beginStep(_ index: Int, timeoutMilliseconds: Int, snapshot: Bool = true) {
        let tid = synscope_gettid()
        lock.locked {
            var c = contexts[tid] ?? CallContext()
            c.step = index
            c.timeoutMilliseconds = timeoutMilliseconds
            c.snapshot = snapshot
            contexts[tid] = c
        }
    }
}
