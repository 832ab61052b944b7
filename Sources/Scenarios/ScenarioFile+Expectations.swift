import TraceModel
import Yams

/// The scenario's `expect:` block and the expectations written on a step.
extension Parser {
    mutating func scenarioExpectations(_ node: Node) throws(ScenarioFileError) {
        for (key, keyNode, value) in try mapping(node, "expect") {
            switch key {
            case "flags", "datagrams":
                let pattern = try string(value, "expect.\(key)")
                guard (try? Regex(pattern)) != nil else { throw fail(value, "expect.\(key) is not a valid regular expression") }
                expectations.append(key == "flags" ? .flags(pattern) : .datagrams(pattern))
            case "originator_states", "responder_states":
                guard let list = value.sequence, !list.isEmpty else { throw fail(value, "\(key) must be a list of state names") }
                var states: [TCPState] = []
                for s in list {
                    let name = try string(s, key)
                    guard let state = TCPState(rawValue: name) else { throw fail(s, "unknown TCP state '\(name)'") }
                    states.append(state)
                }
                expectations.append(.endpointStates(originator: key == "originator_states", states))
            case "reset":
                let reason = try mapping(value, "expect.reset").first { $0.0 == "reason" }.map { v throws(ScenarioFileError) in try string(v.2, "reset.reason") }
                guard let reason, reason.allSatisfy({ $0.isUppercase || $0 == "_" }) else { throw fail(value, "reset takes {reason: NAME}, a tcp_send_reset reason such as NO_SOCKET") }
                expectations.append(.resetReason(ResetReason(rawValue: reason)))
            case "dropped", "timer":
                let name = try string(value, "expect.\(key)")
                guard !name.isEmpty, !name.contains(" ") else { throw fail(value, "expect.\(key) takes one name, such as \(key == "timer" ? "tcp_delack_timer" : "TCP_LISTEN_OVERFLOW")") }
                expectations.append(key == "timer" ? .timer(name) : .dropped(DropReason(rawValue: name)))
            case "counters":
                try counterExpectations(value, step: nil)
            default:
                throw fail(keyNode, "unknown expectation '\(key)'; use flags, datagrams, originator_states, responder_states, reset, dropped, timer or counters")
            }
        }
    }

    /// `counters: {TcpExtListenOverflows: ">=1", TcpExtTCPReqQFullDrop: 0}`: how much each counter moved.
    mutating func counterExpectations(_ node: Node, step: Int?) throws(ScenarioFileError) {
        for (name, keyNode, value) in try mapping(node, "counters") {
            guard name.hasPrefix("Tcp") || name.hasPrefix("Ip") || name.hasPrefix("Udp") || name.hasPrefix("Icmp") else {
                throw fail(keyNode, "counter '\(name)' is not a /proc/net/netstat or snmp name such as TcpExtListenOverflows")
            }
            let text = value.scalar?.string ?? ""
            guard let range = Self.counterRange(text) else {
                throw fail(value, "counter \(name) takes a number or a comparison such as \">=1\", not '\(text)'")
            }
            expectations.append(.counter(step: step, name: name, range: range, text: text))
        }
    }

    /// `3` → 3...3, `>=1` → 1...max, `>0` → 1...max, `<=2` → min...2, `<3` → min...2.
    static func counterRange(_ text: String) -> ClosedRange<Int64>? {
        let t = text.filter { $0 != " " }
        for (op, make) in [(">=", { (n: Int64) in n...Int64.max }), ("<=", { (n: Int64) in Int64.min...n }),
                           (">", { (n: Int64) in n + 1...Int64.max }), ("<", { (n: Int64) in Int64.min...n - 1 })] where t.hasPrefix(op) {
            guard let n = Int64(t.dropFirst(op.count)), n > Int64.min + 1, n < Int64.max - 1 else { return nil }
            return make(n)
        }
        return Int64(t).map { $0...$0 }
    }

    /// `expect`, `result`, `returns_after`, `counters` and `kernel` on a step, then its outputs.
    mutating func stepExpectations(_ a: inout StepArguments, step: Step, index: Int) throws(ScenarioFileError) {
        if let e = a.arg("expect") {
            let text = try string(e, "expect")
            if text == "ok" {
                expectations.append(.outcome(step: index, nil))
            } else if text == "timeout" {
                expectations.append(.timedOut(step: index))
            } else if let errno = Errno(name: text) {
                expectations.append(.outcome(step: index, errno))
            } else {
                throw fail(e, "expect must be ok, timeout or an errno name such as ECONNREFUSED, not '\(text)'")
            }
        }
        if let r = a.arg("result") { expectations.append(.result(step: index, try int(r, "result", in: -1...Int(Int32.max)))) }
        if let r = a.arg("returns_after") { expectations.append(.returnedAfter(step: index, flags: try string(r, "returns_after"))) }
        if let c = a.arg("counters") { try counterExpectations(c, step: index) }
        if let k = a.arg("kernel") {
            for (socket, _, state) in try mapping(k, "kernel") {
                let name = try string(state, "kernel state")
                guard let st = TCPState(rawValue: name) else { throw fail(state, "unknown TCP state '\(name)'") }
                expectations.append(.kernelState(step: index, socket: socket, state: st))
            }
        }
        try outputExpectations(&a, step: step, index: index)
    }

    /// `address`, `peer`, `accepted`, `raised` and the queue keys of a step.
    mutating func outputExpectations(_ a: inout StepArguments, step: Step, index: Int) throws(ScenarioFileError) {
        let isAccept: Bool
        if case .accept = step { isAccept = true } else { isAccept = false }
        if let n = a.arg("address"), a.verb == "getsockname" || isAccept {
            expectations.append(.outputMatches(step: index, name: "addr", pattern: try string(n, "address")))
        }
        if let n = a.arg("peer") {
            guard isAccept else { throw fail(n, "only accept reports a peer") }
            expectations.append(.outputMatches(step: index, name: "peer", pattern: try string(n, "peer")))
        }
        if let n = a.arg("accepted") {
            guard isAccept else { throw fail(n, "accepted is for accept steps") }
            let client = try string(n, "accepted")
            guard sockets.contains(client) else { throw fail(n, "no socket named '\(client)' at this point") }
            expectations.append(.accepted(step: index, client: client))
        }
        if let n = a.arg("raised") {
            let text = try string(n, "raised")
            guard text == "SIGPIPE" || text == "none" else { throw fail(n, "raised must be SIGPIPE or none") }
            expectations.append(.raised(step: index, signal: text == "none" ? nil : text))
        }
        for field in ["recv_q", "send_q", "accept_queue", "syn_queue"] {
            guard let n = a.arg(field) else { continue }
            if n.mapping != nil {
                for (socket, sn, v) in try mapping(n, field) {
                    guard sockets.contains(socket) else { throw fail(sn, "no socket named '\(socket)' at this point") }
                    expectations.append(.queue(step: index, socket: socket, field: field, range: try range(v, field)))
                }
            } else {
                guard let socket = step.socket else { throw fail(n, "\(field) needs {socket: N} on a step without a socket") }
                expectations.append(.queue(step: index, socket: socket, field: field, range: try range(n, field)))
            }
        }
    }

    /// `3` or `2..5`.
    func range(_ node: Node, _ what: String) throws(ScenarioFileError) -> ClosedRange<Int> {
        let text = try string(node, what)
        let parts = text.split(separator: ".", omittingEmptySubsequences: true)
        if parts.count == 2, text.contains(".."), let lo = Int(parts[0]), let hi = Int(parts[1]), lo <= hi, lo >= 0 { return lo...hi }
        if let n = Int(text), n >= 0 { return n...n }
        throw fail(node, "\(what) must be a count (3) or a range (2..5)")
    }
}
