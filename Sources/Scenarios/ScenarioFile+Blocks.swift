import Yams

/// Thread and repeat blocks, and the expectations on a step's outputs.
extension Parser {
    mutating func append(_ step: Step, node: Node, timeout: Int = StepInfo.defaultTimeoutMilliseconds) {
        steps.append(step)
        info.append(StepInfo(thread: thread, timeoutMilliseconds: timeout, line: node.mark?.line))
    }

    mutating func stepList(_ list: [Node]) throws(ScenarioFileError) {
        for node in list { try step(node) }
    }

    /// `- thread: NAME` with `steps:`, run concurrently until `- join: NAME`;
    /// `- repeat: N` with `steps:`, unrolled N times with `{i}` (0…N-1, or
    /// `{i+K}`) replaced in every value.
    mutating func block(_ node: Node) throws(ScenarioFileError) {
        let entries = try mapping(node, "a block")
        guard entries.count == 2, let stepsEntry = entries.first(where: { $0.key == "steps" }),
              let head = entries.first(where: { $0.key != "steps" }) else {
            throw fail(node, "a block is '- thread: NAME' or '- repeat: N' with 'steps:' and nothing else")
        }
        guard let list = stepsEntry.value.sequence.map(Array.init), !list.isEmpty else {
            throw fail(stepsEntry.value, "\(head.key) needs a list of steps")
        }
        switch head.key {
        case "thread":
            let name = try string(head.value, "thread")
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw fail(head.value, "a thread name is letters, digits, '-' and '_'")
            }
            guard thread == nil else { throw fail(head.keyNode, "threads start only from the scenario's main steps, not inside thread '\(thread!)'") }
            guard threads[name] == nil else { throw fail(head.value, "a thread named '\(name)' already exists") }
            threads[name] = false
            let start = steps.count
            append(.thread(name, count: 0), node: node)
            thread = name
            try stepList(list)
            thread = nil
            steps[start] = .thread(name, count: steps.count - start - 1)
        case "repeat":
            let count = try int(head.value, "repeat", in: 1...10_000)
            let limit = ScenarioFileLimits.maximumUnrolledSteps
            guard steps.count + count * list.count <= limit else { throw fail(head.value, "repeat makes more than \(limit) steps") }
            let first = steps.count
            for i in 0..<count {
                for child in list { try step(Self.substitute(child, i)) }
            }
            if count > Self.snapshotRepeatLimit {
                for j in first..<steps.count { info[j].snapshot = false }
            }
        default:
            throw fail(head.keyNode, "unknown block '\(head.key)'; blocks are thread and repeat")
        }
    }

    /// A repeat of more than this many rounds takes kernel snapshots only where an expectation needs one.
    static let snapshotRepeatLimit = 8

    /// Steps whose expectations read the kernel's table keep their snapshot.
    mutating func keepNeededSnapshots() {
        for e in expectations {
            switch e {
            case .kernelState(let step, _, _), .queue(let step, _, _, _), .accepted(let step, _): info[step].snapshot = true
            default: break
            }
        }
    }

    /// The node with `{i}`, `{i+K}` and `{K+i}` replaced by the iteration's value in every scalar.
    static func substitute(_ node: Node, _ i: Int) -> Node {
        switch node {
        case .scalar(var s):
            guard s.string.contains("{") else { return node }
            s.string = s.string.replacing(/\{(?:(\d+)\+)?i(?:\+(\d+))?\}/) { m in
                String(i + (m.output.1.flatMap { Int($0) } ?? 0) + (m.output.2.flatMap { Int($0) } ?? 0))
            }
            return .scalar(s)
        case .mapping(let m):
            return .mapping(Node.Mapping(m.map { (substitute($0.key, i), substitute($0.value, i)) }, m.tag, m.style, m.mark))
        case .sequence(let q):
            return .sequence(Node.Sequence(q.map { substitute($0, i) }, q.tag, q.style, q.mark))
        }
    }

    /// `address`, `peer`, `accepted`, `raised` and the queue keys of a step.
    mutating func outputExpectations(verb: String, step: Step, index: Int, arg: (String) -> Node?) throws(ScenarioFileError) {
        let isAccept: Bool
        if case .accept = step { isAccept = true } else { isAccept = false }
        if let n = arg("address") ?? nil, verb == "getsockname" || isAccept {
            expectations.append(.outputMatches(step: index, name: "addr", pattern: try string(n, "address")))
        }
        if let n = arg("peer") {
            guard isAccept else { throw fail(n, "only accept reports a peer") }
            expectations.append(.outputMatches(step: index, name: "peer", pattern: try string(n, "peer")))
        }
        if let n = arg("accepted") {
            guard isAccept else { throw fail(n, "accepted is for accept steps") }
            let client = try string(n, "accepted")
            guard sockets.contains(client) else { throw fail(n, "no socket named '\(client)' at this point") }
            expectations.append(.accepted(step: index, client: client))
        }
        if let n = arg("raised") {
            let text = try string(n, "raised")
            guard text == "SIGPIPE" || text == "none" else { throw fail(n, "raised must be SIGPIPE or none") }
            expectations.append(.raised(step: index, signal: text == "none" ? nil : text))
        }
        for field in ["recv_q", "send_q", "accept_queue", "syn_queue"] {
            guard let n = arg(field) else { continue }
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
