import Yams

/// Reads one YAML node as a value, or fails with the node's line.
protocol NodeReader {
    /// The file being read, named in every error.
    var source: String { get }
}

extension NodeReader {
    func fail(_ node: Node?, _ message: String) -> ScenarioFileError {
        ScenarioFileError(source: source, line: node?.mark?.line, message: message)
    }

    func mapping(_ node: Node, _ what: String) throws(ScenarioFileError) -> [(key: String, keyNode: Node, value: Node)] {
        guard let m = node.mapping else { throw fail(node, "\(what) must be a mapping (key: value)") }
        var out: [(String, Node, Node)] = []
        for (k, v) in m {
            guard let key = k.scalar?.string else { throw fail(k, "keys of \(what) must be plain words") }
            if out.contains(where: { $0.0 == key }) { throw fail(k, "'\(key)' appears twice in \(what)") }
            out.append((key, k, v))
        }
        return out
    }

    func string(_ node: Node, _ what: String) throws(ScenarioFileError) -> String {
        guard let s = node.scalar?.string else { throw fail(node, "\(what) must be a single value") }
        return s
    }

    func int(_ node: Node, _ what: String, in range: ClosedRange<Int>) throws(ScenarioFileError) -> Int {
        guard let s = node.scalar?.string, let n = Int(s) else { throw fail(node, "\(what) must be a whole number") }
        guard range.contains(n) else { throw fail(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(n)") }
        return n
    }

    func bool(_ node: Node, _ what: String) throws(ScenarioFileError) -> Bool {
        switch try string(node, what) {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw fail(node, "\(what) must be true or false")
        }
    }
}
