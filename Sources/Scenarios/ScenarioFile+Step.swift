import TraceModel
import Yams

/// One step's verb and arguments, and which arguments have been read.
struct StepArguments: NodeReader {
    let source: String
    let verb: String
    let verbNode: Node
    /// What follows the verb: a mapping of arguments, or one bare value.
    let value: Node
    let bare: Node?
    let args: [String: Node]
    let argKeys: [String: Node]
    private(set) var used: Set<String> = []

    /// `entries` is the value's mapping, or nil when the value is bare.
    init(source: String, verb: String, verbNode: Node, value: Node, entries: [(key: String, keyNode: Node, value: Node)]?) {
        self.source = source
        self.verb = verb
        self.verbNode = verbNode
        self.value = value
        var args: [String: Node] = [:]
        var argKeys: [String: Node] = [:]
        for (k, kn, v) in entries ?? [] { args[k] = v; argKeys[k] = kn }
        self.args = args
        self.argKeys = argKeys
        self.bare = entries == nil ? value : nil
    }

    mutating func arg(_ key: String) -> Node? { used.insert(key); return args[key] }

    mutating func required(_ key: String) throws(ScenarioFileError) -> Node {
        guard let n = arg(key) else { throw fail(value, "\(verb) needs '\(key)'") }
        return n
    }

    mutating func port() throws(ScenarioFileError) -> UInt16 { UInt16(try int(try required("port"), "port", in: 0...65535)) }

    mutating func address() throws(ScenarioFileError) -> AddressSpec {
        guard let n = arg("address") else { return .loopback }
        let text = try string(n, "address")
        switch text {
        case "loopback": return .loopback
        case "any": return .any
        case "unspec": return .unspec
        case "any6", "::": return .literal(.v6(.any))
        default:
            if let v4 = IPv4Address(text), v4.value >> 24 == 127 { return .literal(.v4(v4)) }
            if text == "::1" { return .literal(.v6(.loopback)) }
            throw fail(n, "address must be loopback, any, any6, unspec, an address in 127.0.0.0/8 or ::1 (synscope never sends beyond loopback)")
        }
    }

    /// Fails on an argument that nothing read.
    func checkAllRead() throws(ScenarioFileError) {
        for key in args.keys where !used.contains(key) {
            throw fail(argKeys[key], "\(verb) has no '\(key)'")
        }
    }
}

extension Parser {
    /// A step: `- verb: socket` or `- verb: {socket: ..., ...}`.
    mutating func step(_ node: Node) throws(ScenarioFileError) {
        if node.mapping?.keys.contains(where: { $0.scalar?.string == "repeat" || $0.scalar?.string == "thread" }) == true {
            return try block(node)
        }
        let entries = try mapping(node, "a step")
        guard entries.count == 1, let (verb, verbNode, value) = entries.first else {
            throw fail(node, "a step is one verb, such as '- connect: {socket: client, port: 5000}'")
        }
        if verb == "sysctl", let m = value.mapping { return try setSysctls(m, node: node) }
        var a = try StepArguments(source: source, verb: verb, verbNode: verbNode, value: value,
                                  entries: value.mapping != nil ? mapping(value, verb) : nil)
        let index = steps.count
        let parsed = try verbStep(&a, index: index)
        if case .close(let s) = parsed { sockets.remove(s) }
        let timeout = try stepTimeout(parsed, &a)
        append(parsed, node: node, timeout: timeout)
        try stepExpectations(&a, step: parsed, index: index)
        try a.checkAllRead()
    }

    /// '- sysctl: {net.ipv4.tcp_tw_reuse: 1}' sets one or more.
    mutating func setSysctls(_ m: Node.Mapping, node: Node) throws(ScenarioFileError) {
        for (k, v) in m {
            guard let name = k.scalar?.string, name.hasPrefix("net.") else { throw fail(k, "only net.* sysctls are per network namespace") }
            append(.setSysctl(name: name, value: try string(v, name)), node: node)
        }
    }

    /// A blocking call is interrupted after `timeout` ms; poll's own timeout is its argument.
    func stepTimeout(_ step: Step, _ a: inout StepArguments) throws(ScenarioFileError) -> Int {
        var timeout = StepInfo.defaultTimeoutMilliseconds
        if case .poll(_, _, let t) = step {
            timeout = max(timeout, Int(t) + 1000)
        } else if let t = a.arg("timeout") {
            timeout = try int(t, "timeout", in: 1...600_000)
        }
        return timeout
    }

    /// The socket the step acts on: the bare value, or `socket:`.
    func socketName(_ a: inout StepArguments, mustExist: Bool = true) throws(ScenarioFileError) -> String {
        let n: Node
        if let bare = a.bare { n = bare } else { n = try a.required("socket") }
        let name = try string(n, "socket")
        if name.contains("{") { throw fail(n, "'{i}' in '\(name)' is replaced only inside a repeat") }
        if mustExist && !sockets.contains(name) { throw fail(n, "no socket named '\(name)' at this point (create it with a socket step)") }
        return name
    }
}
