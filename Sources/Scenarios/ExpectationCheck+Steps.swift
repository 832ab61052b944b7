import Analysis
import TraceModel

/// Expectations on one step: its call's result and outputs, and the kernel's table after it.
extension CheckedRun {
    func outcome(step: Int, _ errno: Errno?) -> ExpectationResult {
        let want = errno?.name ?? "success"
        guard let c = stepCall[step] else { return .init(expectation: "step \(step) gives \(want)", passed: false, observed: "step not run") }
        let got = c.event.error?.name ?? "success"
        if let t = Self.timedOut(c) {
            return .init(expectation: "\(c.event.call)() on \(c.event.socket) gives \(want)", passed: false,
                         observed: "\(scenario.describe(step: step)) timed out after \(t): \(c.event.strace)")
        }
        return .init(expectation: "\(c.event.call)() on \(c.event.socket) gives \(want)", passed: got == want, observed: c.event.strace)
    }

    func timesOut(step: Int) -> ExpectationResult {
        guard let c = stepCall[step] else { return .init(expectation: "step \(step) times out", passed: false, observed: "step not run") }
        return .init(expectation: "\(c.event.call)() on \(c.event.socket) times out", passed: Self.timedOut(c) != nil, observed: c.event.strace)
    }

    func result(step: Int, _ value: Int) -> ExpectationResult {
        guard let c = stepCall[step] else { return .init(expectation: "step \(step) returns \(value)", passed: false, observed: "step not run") }
        return .init(expectation: "\(c.event.call)() on \(c.event.socket) returns \(value)", passed: c.event.result == value, observed: c.event.strace)
    }

    func output(step: Int, name: String, value: String) -> ExpectationResult {
        guard let c = stepCall[step] else { return .init(expectation: "step \(step) reports \(name) \(value)", passed: false, observed: "step not run") }
        let got = c.event.outputs.first { $0.name == name }?.value.description ?? "nothing"
        return .init(expectation: "\(c.event.call)() on \(c.event.socket) reports \(name) = \(value)", passed: got == value, observed: got)
    }

    func outputMatches(step: Int, name: String, pattern: String) -> ExpectationResult {
        let what = name == "addr" ? "address" : name
        guard let c = stepCall[step] else { return .init(expectation: "step \(step) reports \(what) \(pattern)", passed: false, observed: "step not run") }
        let got = c.event.outputs.first { $0.name == name }?.value.description ?? "nothing"
        return .init(expectation: "\(c.event.call)() on \(c.event.socket) reports \(what) \(pattern)",
                     passed: Glob.matches(pattern, got), observed: got)
    }

    func raised(step: Int, signal: String?) -> ExpectationResult {
        guard let c = stepCall[step] else { return .init(expectation: "step \(step) raises \(signal ?? "nothing")", passed: false, observed: "step not run") }
        let got = calls.first { $0.event.step == step && $0.event.call == .sigpipe }.map { _ in "SIGPIPE" }
        return .init(expectation: "\(c.event.call)() on \(c.event.socket) raises \(signal ?? "no signal")", passed: got == signal,
                     observed: got ?? "no signal")
    }

    func returnedAfter(step: Int, flags: String) -> ExpectationResult {
        guard let c = stepCall[step] else { return .init(expectation: "step \(step) returns after [\(flags)]", passed: false, observed: "step not run") }
        let seg = c.returnedAfter.flatMap { i in segments.first { $0.index == i } }
        let got = seg.map { "[\($0.segment.flags.tcpdumpNotation)] at event \($0.index)" } ?? "no segment"
        return .init(expectation: "\(c.event.call)() on \(c.event.socket) returns after a [\(flags)]",
                     passed: seg?.segment.flags.tcpdumpNotation == flags, observed: got)
    }

    func accepted(step: Int, client: String) -> ExpectationResult {
        guard let c = stepCall[step] else { return .init(expectation: "step \(step) accepts \(client)", passed: false, observed: "step not run") }
        let peer = c.event.outputs.first { $0.name == "peer" }?.value.description
        let local = kernelView(of: client, at: c)?.local?.hostPort
        return .init(expectation: "accept() on \(c.event.socket) returns \(client)'s connection",
                     passed: peer != nil && peer == local, observed: "peer \(peer ?? "none"), \(client) is \(local ?? "unknown")")
    }

    /// The last call at or before the step (a sleep makes none).
    func lastCall(upTo step: Int) -> TimelineSyscall? {
        (0...step).reversed().lazy.compactMap { stepCall[$0] }.first
    }

    func queue(step: Int, socket: String, field: String, range: ClosedRange<Int>) -> ExpectationResult {
        let want = range.count == 1 ? "\(range.lowerBound)" : "\(range.lowerBound)..\(range.upperBound)"
        let snap = lastCall(upTo: step).flatMap { kernelView(of: socket, at: $0) }
        let value: Int? = switch field {
        case "recv_q", "accept_queue": snap?.receiveQueue
        case "send_q": snap?.sendQueue
        default: snap?.synQueue
        }
        return .init(expectation: "after \(scenario.describe(step: step)) \(socket) has \(field) \(want)",
                     passed: value.map(range.contains) ?? false, observed: value.map(String.init) ?? "not in the table")
    }

    func kernelState(step: Int, socket: String, state: TCPState) -> ExpectationResult {
        // The snapshot after the step, or after the last call before it (a sleep takes none).
        let got = lastCall(upTo: step).flatMap { kernelView(of: socket, at: $0) }?.state
        return .init(expectation: "after step \(step) the kernel shows \(socket) in \(state)", passed: got == state,
                     observed: got?.name ?? "not in the table")
    }
}
