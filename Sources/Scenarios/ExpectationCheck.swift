import Analysis
import TraceModel

/// The verdict on one expectation.
public struct ExpectationResult: Sendable, Hashable {
    public var expectation: String
    public var passed: Bool
    /// What was observed (for a DIFF, the difference).
    public var observed: String
}

/// Checks a scenario's expectations against a run's timeline.
public enum ExpectationCheck {
    public static func check(_ scenario: Scenario, timeline: Timeline) -> [ExpectationResult] {
        // Recorded events in order; step N is the Nth recorded call of the steps (sleep records nothing).
        let calls = timeline.syscalls
        var stepCall: [Int: TimelineSyscall] = [:]
        var next = 0
        for (i, step) in scenario.steps.enumerated() {
            if case .sleep = step { continue }
            // Skip EINTR retries: they are recorded, then the call is made again.
            while next < calls.count, calls[next].event.error == .interrupted { next += 1 }
            if next < calls.count { stepCall[i] = calls[next]; next += 1 }
        }
        let segments = timeline.segments
        return scenario.expectations.map { e in
            switch e {
            case .outcome(let step, let errno):
                let want = errno?.name ?? "success"
                guard let c = stepCall[step] else { return .init(expectation: "step \(step) gives \(want)", passed: false, observed: "step not run") }
                let got = c.event.error?.name ?? "success"
                return .init(expectation: "\(c.event.call)() on \(c.event.socket) gives \(want)", passed: got == want, observed: c.event.strace)
            case .result(let step, let value):
                guard let c = stepCall[step] else { return .init(expectation: "step \(step) returns \(value)", passed: false, observed: "step not run") }
                return .init(expectation: "\(c.event.call)() on \(c.event.socket) returns \(value)", passed: c.event.result == value, observed: c.event.strace)
            case .output(let step, let name, let value):
                guard let c = stepCall[step] else { return .init(expectation: "step \(step) reports \(name) \(value)", passed: false, observed: "step not run") }
                let got = c.event.outputs.first { $0.name == name }?.value.description ?? "nothing"
                return .init(expectation: "\(c.event.call)() on \(c.event.socket) reports \(name) = \(value)", passed: got == value, observed: got)
            case .flags(let pattern):
                let tokens = segments.map { $0.segment.flags.tcpdumpNotation }.joined(separator: " ")
                let ok = (try? Regex(pattern).wholeMatch(in: tokens)) != nil
                return .init(expectation: "TCP flags match /\(pattern)/", passed: ok, observed: tokens.isEmpty ? "no TCP segment" : tokens)
            case .datagrams(let pattern):
                let tokens = timeline.datagrams.map(\.token).joined(separator: " ")
                let ok = (try? Regex(pattern).wholeMatch(in: tokens)) != nil
                return .init(expectation: "datagrams match /\(pattern)/", passed: ok, observed: tokens.isEmpty ? "no datagram" : tokens)
            case .returnedAfter(let step, let flags):
                guard let c = stepCall[step] else { return .init(expectation: "step \(step) returns after [\(flags)]", passed: false, observed: "step not run") }
                let seg = c.returnedAfter.flatMap { i in segments.first { $0.index == i } }
                let got = seg.map { "[\($0.segment.flags.tcpdumpNotation)] at event \($0.index)" } ?? "no segment"
                return .init(expectation: "\(c.event.call)() on \(c.event.socket) returns after a [\(flags)]",
                             passed: seg?.segment.flags.tcpdumpNotation == flags, observed: got)
            case .kernelState(let step, let socket, let state):
                // The snapshot after the step, or after the last call before it (a sleep takes none).
                let call = (0...step).reversed().lazy.compactMap { stepCall[$0] }.first
                let got = call?.event.snapshot.first { $0.socket == socket }?.state ?? "not in the table"
                return .init(expectation: "after step \(step) the kernel shows \(socket) in \(state)", passed: got == state, observed: got)
            case .endpointStates(let originator, let wanted):
                // One connection must pass through the states in order.
                let who = originator ? "originator" : "responder"
                var observed: [String] = []
                for id in Set(segments.map(\.annotated.connection)).sorted() {
                    let seen = segments.filter { $0.annotated.connection == id }
                        .map { (originator ? $0.annotated.states.originator : $0.annotated.states.responder).name }
                    var changes: [String] = []
                    for s in seen where changes.last != s { changes.append(s) }
                    var i = 0
                    for s in changes where i < wanted.count && s == wanted[i] { i += 1 }
                    if i == wanted.count {
                        return .init(expectation: "\(who) passes \(wanted.joined(separator: " → "))", passed: true,
                                     observed: "connection \(id): " + changes.joined(separator: " → "))
                    }
                    observed.append("connection \(id): " + changes.joined(separator: " → "))
                }
                return .init(expectation: "\(who) passes \(wanted.joined(separator: " → "))", passed: false,
                             observed: observed.joined(separator: "; "))
            }
        }
    }
}
