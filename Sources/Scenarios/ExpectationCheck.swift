import Analysis
import TraceModel

/// Checks a scenario's expectations against a run's timeline.
public enum ExpectationCheck {
    public static func check(_ scenario: Scenario, timeline: Timeline) -> [ExpectationResult] {
        let calls = timeline.syscalls
        let stepCall = stepCalls(scenario, calls)
        let segments = timeline.segments
        return scenario.expectations.map { e in
            switch e {
            case .outcome(let step, let errno):
                let want = errno?.name ?? "success"
                guard let c = stepCall[step] else { return .init(expectation: "step \(step) gives \(want)", passed: false, observed: "step not run") }
                let got = c.event.error?.name ?? "success"
                if let t = timedOut(c) {
                    return .init(expectation: "\(c.event.call)() on \(c.event.socket) gives \(want)", passed: false,
                                 observed: "\(scenario.describe(step: step)) timed out after \(t): \(c.event.strace)")
                }
                return .init(expectation: "\(c.event.call)() on \(c.event.socket) gives \(want)", passed: got == want, observed: c.event.strace)
            case .timedOut(let step):
                guard let c = stepCall[step] else { return .init(expectation: "step \(step) times out", passed: false, observed: "step not run") }
                return .init(expectation: "\(c.event.call)() on \(c.event.socket) times out", passed: timedOut(c) != nil, observed: c.event.strace)
            case .outputMatches(let step, let name, let pattern):
                let what = name == "addr" ? "address" : name
                guard let c = stepCall[step] else { return .init(expectation: "step \(step) reports \(what) \(pattern)", passed: false, observed: "step not run") }
                let got = c.event.outputs.first { $0.name == name }?.value.description ?? "nothing"
                return .init(expectation: "\(c.event.call)() on \(c.event.socket) reports \(what) \(pattern)",
                             passed: Glob.matches(pattern, got), observed: got)
            case .queue(let step, let socket, let field, let range):
                let want = range.count == 1 ? "\(range.lowerBound)" : "\(range.lowerBound)..\(range.upperBound)"
                let call = (0...step).reversed().lazy.compactMap { stepCall[$0] }.first
                let snap = call.flatMap { kernelView(of: socket, at: $0, calls) }
                let value: Int? = switch field {
                case "recv_q", "accept_queue": snap?.receiveQueue
                case "send_q": snap?.sendQueue
                default: snap?.synQueue
                }
                return .init(expectation: "after \(scenario.describe(step: step)) \(socket) has \(field) \(want)",
                             passed: value.map(range.contains) ?? false, observed: value.map(String.init) ?? "not in the table")
            case .accepted(let step, let client):
                guard let c = stepCall[step] else { return .init(expectation: "step \(step) accepts \(client)", passed: false, observed: "step not run") }
                let peer = c.event.outputs.first { $0.name == "peer" }?.value.description
                let local = kernelView(of: client, at: c, calls)?.local?.hostPort
                return .init(expectation: "accept() on \(c.event.socket) returns \(client)'s connection",
                             passed: peer != nil && peer == local, observed: "peer \(peer ?? "none"), \(client) is \(local ?? "unknown")")
            case .raised(let step, let signal):
                guard let c = stepCall[step] else { return .init(expectation: "step \(step) raises \(signal ?? "nothing")", passed: false, observed: "step not run") }
                let got = calls.first { $0.event.step == step && $0.event.call == .sigpipe }.map { _ in "SIGPIPE" }
                return .init(expectation: "\(c.event.call)() on \(c.event.socket) raises \(signal ?? "no signal")", passed: got == signal,
                             observed: got ?? "no signal")
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
                let got = call.flatMap { kernelView(of: socket, at: $0, calls) }?.state
                return .init(expectation: "after step \(step) the kernel shows \(socket) in \(state)", passed: got == state,
                             observed: got?.name ?? "not in the table")
            case .resetReason(let reason):
                return kernelCheck(timeline, "an RST with reason \(reason)") {
                    let seen = segments.compactMap { $0.kernel?.resetReason }
                    return (seen.contains(reason), seen.isEmpty ? "no RST with a reason" : "RST reasons: " + seen.map(\.rawValue).joined(separator: ", "))
                }
            case .dropped(let reason):
                return kernelCheck(timeline, "a segment dropped for \(reason)") {
                    let seen = segments.compactMap { s in s.fate.map { "#\(s.index) \($0.dropped)" } }
                    return (segments.contains { $0.fate?.dropped == reason }, seen.isEmpty ? "no drop" : "drops: " + seen.joined(separator: ", "))
                }
            case .timer(let function):
                return kernelCheck(timeline, "a segment sent by the timer \(function)") {
                    let seen = segments.compactMap { s in s.kernel?.timer.map { "#\(s.index) \($0)" } }
                    return (segments.contains { $0.kernel?.timer == function }, seen.isEmpty ? "no timer segment" : "timers: " + seen.joined(separator: ", "))
                }
            case .counter(let step, let name, let range, let text):
                let what = "\(name) moves by \(text)" + (step.map { " during step \($0)" } ?? "")
                return kernelCheck(timeline, what) {
                    let events = step.map { s in stepCall[s].map { [$0.event] } ?? [] } ?? calls.map(\.event)
                    let moved = events.reduce(Int64(0)) { $0 + ($1.counters?[name] ?? 0) }
                    return (range.contains(moved), "\(name) moved by \(moved)")
                }
            case .endpointStates(let originator, let wanted):
                // One connection must pass through the states in order.
                let who = originator ? "originator" : "responder"
                var observed: [String] = []
                for id in Set(segments.map(\.annotated.connection)).sorted() {
                    let seen = segments.filter { $0.annotated.connection == id }
                        .map { originator ? $0.annotated.states.originator : $0.annotated.states.responder }
                    var changes: [TCPState] = []
                    for s in seen where changes.last != s { changes.append(s) }
                    var i = 0
                    for s in changes where i < wanted.count && s == wanted[i] { i += 1 }
                    if i == wanted.count {
                        return .init(expectation: "\(who) passes \(wanted.map(\.name).joined(separator: " → "))", passed: true,
                                     observed: "connection \(id): " + changes.map(\.name).joined(separator: " → "))
                    }
                    observed.append("connection \(id): " + changes.map(\.name).joined(separator: " → "))
                }
                return .init(expectation: "\(who) passes \(wanted.map(\.name).joined(separator: " → "))", passed: false,
                             observed: observed.joined(separator: "; "))
            }
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
    static func kernelView(of socket: String, at call: TimelineSyscall, _ calls: [TimelineSyscall]) -> SocketSnapshot? {
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
    static func kernelCheck(_ timeline: Timeline, _ expectation: String, _ body: () -> (Bool, String)) -> ExpectationResult {
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
