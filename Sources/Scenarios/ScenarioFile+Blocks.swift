import Yams

/// Step lists, thread and repeat blocks, and which steps keep a kernel snapshot.
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
}
