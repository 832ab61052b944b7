import TraceModel

/// A private tracing instance for one run (see kernel Documentation/trace/ftrace.rst, "Instances").
public final class KernelTracer {
    public let device: String

    /// Must run on the scenario's own thread after it unshared CLONE_NEWNET.
    public init(device: String) throws(EnvironmentError) {
        self.device = device
        throw EnvironmentError(.tracing, "kernel events: not implemented yet")
    }

    /// tracing_on=1 and a clock marker.
    public func start() throws(EnvironmentError) {}

    /// tracing_on=0, reads and parses everything, removes the instance.
    public func stop() -> KernelRecording { KernelRecording(events: [], lost: 0, clock: "mono") }

    /// Removes the instance; idempotent, also after errors.
    public func remove() {}

    deinit { remove() }

    /// Removes instances/synscope-<pid>-* whose process no longer exists.
    public static func removeStale() {}
}
