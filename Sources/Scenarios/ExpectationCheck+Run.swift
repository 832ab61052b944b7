import Analysis
import TraceModel

/// Expectations on the whole run: its packets, its connections' states and the kernel's evidence.
extension CheckedRun {
    func flags(_ pattern: String) -> ExpectationResult {
        let tokens = segments.map { $0.segment.flags.tcpdumpNotation }.joined(separator: " ")
        let ok = (try? Regex(pattern).wholeMatch(in: tokens)) != nil
        return .init(expectation: "TCP flags match /\(pattern)/", passed: ok, observed: tokens.isEmpty ? "no TCP segment" : tokens)
    }

    func datagrams(_ pattern: String) -> ExpectationResult {
        let tokens = timeline.datagrams.map(\.token).joined(separator: " ")
        let ok = (try? Regex(pattern).wholeMatch(in: tokens)) != nil
        return .init(expectation: "datagrams match /\(pattern)/", passed: ok, observed: tokens.isEmpty ? "no datagram" : tokens)
    }

    func endpointStates(originator: Bool, _ wanted: [TCPState]) -> ExpectationResult {
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

    func resetReason(_ reason: ResetReason) -> ExpectationResult {
        kernelCheck("an RST with reason \(reason)") {
            let seen = segments.compactMap { $0.kernel?.resetReason }
            return (seen.contains(reason), seen.isEmpty ? "no RST with a reason" : "RST reasons: " + seen.map(\.rawValue).joined(separator: ", "))
        }
    }

    func dropped(_ reason: DropReason) -> ExpectationResult {
        kernelCheck("a segment dropped for \(reason)") {
            let seen = segments.compactMap { s in s.fate.map { "#\(s.index) \($0.dropped)" } }
            return (segments.contains { $0.fate?.dropped == reason }, seen.isEmpty ? "no drop" : "drops: " + seen.joined(separator: ", "))
        }
    }

    func timer(_ function: String) -> ExpectationResult {
        kernelCheck("a segment sent by the timer \(function)") {
            let seen = segments.compactMap { s in s.kernel?.timer.map { "#\(s.index) \($0)" } }
            return (segments.contains { $0.kernel?.timer == function }, seen.isEmpty ? "no timer segment" : "timers: " + seen.joined(separator: ", "))
        }
    }

    func counter(step: Int?, name: String, range: ClosedRange<Int64>, text: String) -> ExpectationResult {
        let what = "\(name) moves by \(text)" + (step.map { " during step \($0)" } ?? "")
        return kernelCheck(what) {
            let events = step.map { s in stepCall[s].map { [$0.event] } ?? [] } ?? calls.map(\.event)
            let moved = events.reduce(Int64(0)) { $0 + ($1.counters?[name] ?? 0) }
            return (range.contains(moved), "\(name) moved by \(moved)")
        }
    }
}
