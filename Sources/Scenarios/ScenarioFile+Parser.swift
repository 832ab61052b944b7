import TraceModel
import Yams

/// Walks the YAML tree into a `Scenario`.
struct Parser: NodeReader {
    let source: String
    var sockets: Set<String> = []
    var steps: [Step] = []
    var info: [StepInfo] = []
    var expectations: [Expectation] = []
    /// The thread whose steps are being read (nil: the main one), and every thread so far with whether it was joined.
    var thread: String?
    var threads: [String: Bool] = [:]

    init(source: String) { self.source = source }

    mutating func scenario(_ root: Node) throws(ScenarioFileError) -> Scenario {
        var name: String?, summary: String?
        var slow = false
        var sysctls: [(name: String, value: String)] = []
        var stepsNode: Node?
        var expectNode: Node?
        for (key, keyNode, value) in try mapping(root, "a scenario") {
            switch key {
            case "name":
                let n = try string(value, "name")
                guard !n.isEmpty, n.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                    throw fail(value, "name must be letters, digits, '-' and '_'")
                }
                name = n
            case "summary": summary = try string(value, "summary")
            case "sysctls":
                for (k, kn, v) in try mapping(value, "sysctls") {
                    guard k.hasPrefix("net.") else { throw fail(kn, "sysctl \(k): only net.* sysctls are per network namespace") }
                    sysctls.append((k, try string(v, "sysctl \(k)")))
                }
            case "steps": stepsNode = value
            case "expect": expectNode = value
            case "slow": slow = try bool(value, "slow")
            default:
                throw fail(keyNode, "unknown key '\(key)'; a scenario has name, summary, slow, sysctls, steps and expect")
            }
        }
        guard let name else { throw fail(root, "the scenario has no name") }
        guard let summary else { throw fail(root, "the scenario has no summary") }
        guard let stepsNode, let list = stepsNode.sequence, !list.isEmpty else {
            throw fail(stepsNode ?? root, "the scenario needs a list of steps")
        }
        try stepList(Array(list))
        if let expectNode { try scenarioExpectations(expectNode) }
        keepNeededSnapshots()
        return Scenario(name: name, summary: summary.trimmingWhitespace, sysctls: sysctls, steps: steps, stepInfo: info,
                        expectations: expectations, source: source, slow: slow)
    }
}
