import Analysis
import TraceModel

/// Checks a scenario's expectations against a run's timeline.
public enum ExpectationCheck {
    public static func check(_ scenario: Scenario, timeline: Timeline) -> [ExpectationResult] {
        let run = CheckedRun(scenario: scenario, timeline: timeline)
        return scenario.expectations.map(run.check)
    }
}

/// A run's timeline, with the call each step made, to check expectations against.
struct CheckedRun {
    let scenario: Scenario
    let timeline: Timeline
    let calls: [TimelineSyscall]
    let stepCall: [Int: TimelineSyscall]
    let segments: [TimelineSegment]

    init(scenario: Scenario, timeline: Timeline) {
        self.scenario = scenario
        self.timeline = timeline
        calls = timeline.syscalls
        stepCall = Self.stepCalls(scenario, calls)
        segments = timeline.segments
    }

    func check(_ e: Expectation) -> ExpectationResult {
        switch e {
        case .outcome(let step, let errno): outcome(step: step, errno)
        case .timedOut(let step): timesOut(step: step)
        case .outputMatches(let step, let name, let pattern): outputMatches(step: step, name: name, pattern: pattern)
        case .queue(let step, let socket, let field, let range): queue(step: step, socket: socket, field: field, range: range)
        case .accepted(let step, let client): accepted(step: step, client: client)
        case .raised(let step, let signal): raised(step: step, signal: signal)
        case .result(let step, let value): result(step: step, value)
        case .output(let step, let name, let value): output(step: step, name: name, value: value)
        case .flags(let pattern): flags(pattern)
        case .datagrams(let pattern): datagrams(pattern)
        case .returnedAfter(let step, let flags): returnedAfter(step: step, flags: flags)
        case .kernelState(let step, let socket, let state): kernelState(step: step, socket: socket, state: state)
        case .resetReason(let reason): resetReason(reason)
        case .dropped(let reason): dropped(reason)
        case .timer(let function): timer(function)
        case .counter(let step, let name, let range, let text): counter(step: step, name: name, range: range, text: text)
        case .endpointStates(let originator, let wanted): endpointStates(originator: originator, wanted)
        }
    }

    /// The call each step made. Runs that record steps map by them (a retried
    /// EINTR and a SIGPIPE belong to their step); older saved runs by order:
    /// step N is the Nth recorded call (sleep records nothing).
    static func stepCalls(_ scenario: Scenario, _ calls: [TimelineSyscall]) -> [Int: TimelineSyscall] {
        var stepCall: [Int: TimelineSyscall] = [:]
        if calls.contains(where: { $0.event.step != nil }) {
            for c in calls where c.event.call != .sigpipe {
                if let step = c.event.step { stepCall[step] = c }
            }
            return stepCall
        }
        var next = 0
        for (i, step) in scenario.steps.enumerated() {
            if case .sleep = step { continue }
            // Skip EINTR retries: they are recorded, then the call is made again.
            while next < calls.count, calls[next].event.error == .interrupted { next += 1 }
            if next < calls.count { stepCall[i] = calls[next]; next += 1 }
        }
        return stepCall
    }

    /// The socket's entry in the snapshot after `call`, or, when that snapshot
    /// lists only changes (many sockets), in the last one before it that has it.
    func kernelView(of socket: String, at call: TimelineSyscall) -> SocketSnapshot? {
        if let s = call.event.snapshot.first(where: { $0.socket == socket }) { return s }
        guard let i = calls.firstIndex(where: { $0.index == call.index }) else { return nil }
        for c in calls[..<i].reversed() {
            if let s = c.event.snapshot.first(where: { $0.socket == socket }) { return s }
        }
        return nil
    }

    /// "10000 ms" when the call was interrupted by its step's timeout.
    static func timedOut(_ c: TimelineSyscall) -> String? {
        c.event.outputs.first { $0.name == "timed_out" }?.value.description
    }

    /// An expectation on the kernel's evidence; not checked, and said so, when the run has none.
    func kernelCheck(_ expectation: String, _ body: () -> (Bool, String)) -> ExpectationResult {
        guard timeline.kernelEvents == "attested" else {
            return .init(expectation: expectation + " (not checked: kernel events \(timeline.kernelEvents ?? "unavailable"))", passed: true,
                         observed: "kernel events \(timeline.kernelEvents ?? "unavailable")")
        }
        let (passed, observed) = body()
        return .init(expectation: expectation, passed: passed, observed: observed)
    }
}

/// Patterns where `*` stands for any run of characters (`127.0.0.1:*`).
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && p[pi] != "*" && p[pi] == t[ti] { pi += 1; ti += 1 }
            else if pi < p.count && p[pi] == "*" { star = pi; mark = ti; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

}
