import Sockets
import TraceModel
import Yams

/// A mistake in a scenario file, with the line it is on.
public struct ScenarioFileError: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var line: Int?
    public var message: String

    public var description: String {
        if let line { return "\(source):\(line): \(message)" }
        return "\(source): \(message)"
    }
}

/// Reads scenarios written in YAML (the format of the built-in catalogue,
/// and of users' own files). The README ("Scenario files") documents it.
/// Every mistake is reported with its line, before anything runs.
public enum ScenarioFile {
    public static func parse(_ text: String, source: String) throws(ScenarioFileError) -> Scenario {
        try ScenarioFileLimits.check(text: text, source: source)
        return try ScenarioFileLimits.onLargeStack { () throws(ScenarioFileError) in try parseChecked(text, source: source) }
    }

    private static func parseChecked(_ text: String, source: String) throws(ScenarioFileError) -> Scenario {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ScenarioFileError(source: source, line: nil, message: "the file is empty")
            }
            root = node
        } catch let e as ScenarioFileError {
            throw e
        } catch let e as YamlError {
            throw ScenarioFileError(source: source, line: yamlLine(e), message: "not valid YAML: \(yamlMessage(e))")
        } catch {
            throw ScenarioFileError(source: source, line: nil, message: "not valid YAML: \(error)")
        }
        try ScenarioFileLimits.check(root: root, source: source)
        var p = Parser(source: source)
        return try p.scenario(root)
    }

    static func yamlLine(_ e: YamlError) -> Int? {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    static func yamlMessage(_ e: YamlError) -> String {
        switch e {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
        default: "\(e)"
        }
    }
}

/// Walks the YAML tree into a `Scenario`.
struct Parser {
    let source: String
    var sockets: Set<String> = []
    var steps: [Step] = []
    var info: [StepInfo] = []
    var expectations: [Expectation] = []
    /// The thread whose steps are being read (nil: the main one), and every thread so far with whether it was joined.
    var thread: String?
    var threads: [String: Bool] = [:]

    init(source: String) { self.source = source }

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

    /// A step: `- verb: socket` or `- verb: {socket: ..., ...}`.
    mutating func step(_ node: Node) throws(ScenarioFileError) {
        if node.mapping?.keys.contains(where: { $0.scalar?.string == "repeat" || $0.scalar?.string == "thread" }) == true {
            return try block(node)
        }
        let entries = try mapping(node, "a step")
        guard entries.count == 1, let (verb, verbNode, value) = entries.first else {
            throw fail(node, "a step is one verb, such as '- connect: {socket: client, port: 5000}'")
        }
        var args: [String: Node] = [:]
        var argKeys: [String: Node] = [:]
        var bare: Node?
        if verb == "sysctl", let m = value.mapping {
            // '- sysctl: {net.ipv4.tcp_tw_reuse: 1}' sets one or more.
            for (k, v) in m {
                guard let name = k.scalar?.string, name.hasPrefix("net.") else { throw fail(k, "only net.* sysctls are per network namespace") }
                append(.setSysctl(name: name, value: try string(v, name)), node: node)
            }
            return
        }
        if value.mapping != nil {
            for (k, kn, v) in try mapping(value, verb) { args[k] = v; argKeys[k] = kn }
        } else {
            bare = value
        }
        var used: Set<String> = []
        func arg(_ key: String) -> Node? { used.insert(key); return args[key] }
        func required(_ key: String) throws(ScenarioFileError) -> Node {
            guard let n = arg(key) else { throw fail(value, "\(verb) needs '\(key)'") }
            return n
        }
        /// The socket the step acts on: the bare value, or `socket:`.
        func socketName(mustExist: Bool = true) throws(ScenarioFileError) -> String {
            let n: Node
            if let bare { n = bare } else { n = try required("socket") }
            let name = try string(n, "socket")
            if name.contains("{") { throw fail(n, "'{i}' in '\(name)' is replaced only inside a repeat") }
            if mustExist && !sockets.contains(name) { throw fail(n, "no socket named '\(name)' at this point (create it with a socket step)") }
            return name
        }
        func port() throws(ScenarioFileError) -> UInt16 { UInt16(try int(try required("port"), "port", in: 0...65535)) }
        func address() throws(ScenarioFileError) -> AddressSpec {
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

        let index = steps.count
        let parsed: Step
        switch verb {
        case "socket":
            let name = try socketName(mustExist: false)
            if sockets.contains(name) { throw fail(bare ?? args["socket"], "a socket named '\(name)' already exists") }
            var udp = false
            if let t = arg("type") {
                switch try string(t, "type") {
                case "tcp": udp = false
                case "udp": udp = true
                default: throw fail(t, "type must be tcp or udp")
                }
            }
            var ipv6: Bool?
            if let f = arg("family") {
                switch try string(f, "family") {
                case "ipv4": ipv6 = false
                case "ipv6": ipv6 = true
                default: throw fail(f, "family must be ipv4 or ipv6")
                }
            }
            let nb = try arg("nonblocking").map { (n: Node) throws(ScenarioFileError) -> Bool in try bool(n, "nonblocking") } ?? false
            sockets.insert(name)
            parsed = .socket(name, udp: udp, ipv6: ipv6, nonBlocking: nb)
        case "setsockopt":
            let s = try socketName()
            parsed = .option(s, try option(try required("option"), value: arg("value")))
        case "nonblocking": parsed = .nonBlocking(try socketName())
        case "bind": parsed = .bind(try socketName(), address: try address(), port: try port())
        case "listen":
            let s = try socketName()
            parsed = .listen(s, backlog: Int32(try int(try required("backlog"), "backlog", in: 0...65535)))
        case "connect":
            let s = try socketName()
            let a = try address()
            parsed = .connect(s, address: a, port: a == .unspec ? 0 : try port())
        case "accept":
            let s = try socketName()
            let newName = try string(try required("as"), "as")
            if sockets.contains(newName) { throw fail(args["as"], "a socket named '\(newName)' already exists") }
            sockets.insert(newName)
            parsed = .accept(s, as: newName)
        case "send":
            let s = try socketName()
            let payload: Payload
            switch (arg("data"), arg("bytes")) {
            case (let d?, nil): payload = .text(try string(d, "data"))
            case (nil, let b?): payload = .bytes(try int(b, "bytes", in: 1...16_777_216))
            case (_?, _?): throw fail(value, "send takes data or bytes, not both")
            case (nil, nil): throw fail(value, "send needs 'data' (text) or 'bytes' (a count)")
            }
            let signal = try arg("signal").map { (n: Node) throws(ScenarioFileError) -> Bool in try bool(n, "signal") } ?? false
            parsed = .send(s, payload, signal: signal)
        case "sendto":
            let s = try socketName()
            parsed = .sendTo(s, address: try address(), port: try port(), data: try string(try required("data"), "data"))
        case "recv":
            let s = try socketName()
            let max = try arg("max").map { (n: Node) throws(ScenarioFileError) -> Int in try int(n, "max", in: 1...1_048_576) } ?? 4096
            let nb = try arg("nonblocking").map { (n: Node) throws(ScenarioFileError) -> Bool in try bool(n, "nonblocking") } ?? false
            parsed = .recv(s, capacity: max, nonBlocking: nb)
        case "shutdown":
            let s = try socketName()
            let text = try string(try required("how"), "how")
            guard let how = ShutdownHow(rawValue: text) else { throw fail(args["how"], "how must be SHUT_RD, SHUT_WR or SHUT_RDWR") }
            parsed = .shutdown(s, how: how)
        case "close": parsed = .close(try socketName())
        case "poll":
            let s = try socketName()
            let events = try arg("events").map { (n: Node) throws(ScenarioFileError) -> String in try string(n, "events") } ?? "POLLOUT"
            guard events == "POLLOUT" || events == "POLLIN" else { throw fail(args["events"], "events must be POLLOUT or POLLIN") }
            let timeout = try arg("timeout").map { (n: Node) throws(ScenarioFileError) -> Int in try int(n, "timeout", in: -1...60_000) } ?? 1000
            parsed = .poll(s, writable: events == "POLLOUT", timeoutMilliseconds: Int32(timeout))
            if let r = arg("revents") { expectations.append(.output(step: index, name: "revents", value: try string(r, "revents"))) }
        case "getsockopt":
            let s = try socketName()
            let o = try string(try required("option"), "option")
            guard o == "SO_ERROR" else { throw fail(args["option"], "getsockopt reads SO_ERROR only") }
            parsed = .socketError(s)
            if let v = arg("value") { expectations.append(.output(step: index, name: "SO_ERROR", value: try string(v, "value"))) }
        case "getsockname": parsed = .getsockname(try socketName())
        case "join":
            guard let bare else { throw fail(value, "join takes a thread name: '- join: server'") }
            let t = try string(bare, "join")
            guard let joined = threads[t] else { throw fail(bare, "no thread named '\(t)' has been started") }
            guard !joined else { throw fail(bare, "thread '\(t)' is already joined") }
            guard thread == nil else { throw fail(bare, "join only from the scenario's main steps") }
            threads[t] = true
            parsed = .join(t)
        case "sleep":
            guard let bare else { throw fail(value, "sleep takes milliseconds: '- sleep: 100'") }
            parsed = .sleep(milliseconds: try int(bare, "sleep", in: 0...60_000))
        case "sysctl":
            guard let bare else { throw fail(value, "sysctl takes one name: '- sysctl: net.ipv4.ip_local_port_range' reads it; '- sysctl: {net.ipv4.tcp_tw_reuse: 1}' sets it") }
            _ = bare
            let name = try string(bare, "sysctl")
            guard name.hasPrefix("net.") else { throw fail(bare, "only net.* sysctls are per network namespace") }
            parsed = .readSysctl(name)
        case "firewall":
            if let bare, bare.scalar?.string == "flush" {
                parsed = .firewallFlush
            } else {
                let hook = try string(try required("hook"), "hook")
                guard hook == "input" || hook == "output" else { throw fail(args["hook"], "hook must be input or output") }
                let rule = try string(try required("rule"), "rule")
                guard !rule.contains(";"), !rule.contains("\n") else { throw fail(args["rule"], "rule must be one nft rule, without ';'") }
                parsed = .firewall(hook: hook, rule: rule)
            }
        default:
            throw fail(verbNode, "unknown step '\(verb)'; steps are socket, setsockopt, nonblocking, bind, listen, connect, accept, send, sendto, recv, shutdown, close, poll, getsockopt, getsockname, sleep, sysctl, firewall, join (and thread and repeat blocks)")
        }
        if case .close(let s) = parsed { sockets.remove(s) }
        // A blocking call is interrupted after `timeout` ms; poll's own timeout is its argument.
        var timeout = StepInfo.defaultTimeoutMilliseconds
        if case .poll(_, _, let t) = parsed {
            timeout = max(timeout, Int(t) + 1000)
        } else if let t = arg("timeout") {
            timeout = try int(t, "timeout", in: 1...600_000)
        }
        append(parsed, node: node, timeout: timeout)

        // Expectations on the step.
        if let e = arg("expect") {
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
        if let r = arg("result") { expectations.append(.result(step: index, try int(r, "result", in: -1...Int(Int32.max)))) }
        if let r = arg("returns_after") { expectations.append(.returnedAfter(step: index, flags: try string(r, "returns_after"))) }
        if let c = arg("counters") { try counterExpectations(c, step: index) }
        if let k = arg("kernel") {
            for (socket, sn, state) in try mapping(k, "kernel") {
                let name = try string(state, "kernel state")
                guard let st = TCPState(rawValue: name) else { throw fail(state, "unknown TCP state '\(name)'") }
                _ = sn
                expectations.append(.kernelState(step: index, socket: socket, state: st))
            }
        }
        try outputExpectations(verb: verb, step: parsed, index: index, arg: arg)
        for key in args.keys where !used.contains(key) {
            throw fail(argKeys[key], "\(verb) has no '\(key)'")
        }
    }

    func bool(_ node: Node, _ what: String) throws(ScenarioFileError) -> Bool {
        switch try string(node, what) {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw fail(node, "\(what) must be true or false")
        }
    }

    func option(_ nameNode: Node, value: Node?) throws(ScenarioFileError) -> SocketOption {
        let name = try string(nameNode, "option")
        func flag() throws(ScenarioFileError) -> Bool {
            guard let value else { return true }
            return try bool(value, name)
        }
        func number() throws(ScenarioFileError) -> Int32 {
            guard let value else { throw fail(nameNode, "\(name) needs a value") }
            return Int32(try int(value, name, in: 0...86_400))
        }
        switch name {
        case "SO_REUSEADDR": return .reuseAddress(try flag())
        case "SO_REUSEPORT": return .reusePort(try flag())
        case "SO_KEEPALIVE": return .keepAlive(try flag())
        case "TCP_NODELAY": return .noDelay(try flag())
        case "TCP_KEEPIDLE": return .keepIdle(try number())
        case "TCP_KEEPINTVL": return .keepInterval(try number())
        case "TCP_KEEPCNT": return .keepCount(try number())
        case "SO_LINGER":
            guard let value, let m = value.mapping else { throw fail(nameNode, "SO_LINGER needs value: {on: true, seconds: 0}") }
            var on = true, seconds: Int32 = 0
            for (k, v) in m {
                switch k.scalar?.string {
                case "on": on = try bool(v, "on")
                case "seconds": seconds = Int32(try int(v, "seconds", in: 0...3600))
                default: throw fail(k, "SO_LINGER takes on and seconds")
                }
            }
            return .linger(on: on, seconds: seconds)
        default:
            throw fail(nameNode, "unknown option '\(name)'; use SO_REUSEADDR, SO_REUSEPORT, SO_LINGER, SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT or TCP_NODELAY")
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
