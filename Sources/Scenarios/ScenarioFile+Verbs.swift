import Sockets
import TraceModel
import Yams

/// The step verbs: each reads its arguments into a `Step`.
extension Parser {
    mutating func verbStep(_ a: inout StepArguments, index: Int) throws(ScenarioFileError) -> Step {
        switch a.verb {
        case "socket": return try socketStep(&a)
        case "setsockopt":
            let s = try socketName(&a)
            return .option(s, try option(try a.required("option"), value: a.arg("value")))
        case "nonblocking": return .nonBlocking(try socketName(&a))
        case "bind": return .bind(try socketName(&a), address: try a.address(), port: try a.port())
        case "listen":
            let s = try socketName(&a)
            return .listen(s, backlog: Int32(try int(try a.required("backlog"), "backlog", in: 0...65535)))
        case "connect":
            let s = try socketName(&a)
            let address = try a.address()
            return .connect(s, address: address, port: address == .unspec ? 0 : try a.port())
        case "accept": return try acceptStep(&a)
        case "send": return try sendStep(&a)
        case "sendto":
            let s = try socketName(&a)
            return .sendTo(s, address: try a.address(), port: try a.port(), data: try string(try a.required("data"), "data"))
        case "recv":
            let s = try socketName(&a)
            let max = try a.arg("max").map { (n: Node) throws(ScenarioFileError) -> Int in try int(n, "max", in: 1...1_048_576) } ?? 4096
            let nb = try a.arg("nonblocking").map { (n: Node) throws(ScenarioFileError) -> Bool in try bool(n, "nonblocking") } ?? false
            return .recv(s, capacity: max, nonBlocking: nb)
        case "shutdown":
            let s = try socketName(&a)
            let text = try string(try a.required("how"), "how")
            guard let how = ShutdownHow(rawValue: text) else { throw fail(a.args["how"], "how must be SHUT_RD, SHUT_WR or SHUT_RDWR") }
            return .shutdown(s, how: how)
        case "close": return .close(try socketName(&a))
        case "poll": return try pollStep(&a, index: index)
        case "getsockopt": return try getsockoptStep(&a, index: index)
        case "getsockname": return .getsockname(try socketName(&a))
        case "join": return try joinStep(a)
        case "sleep":
            guard let bare = a.bare else { throw fail(a.value, "sleep takes milliseconds: '- sleep: 100'") }
            return .sleep(milliseconds: try int(bare, "sleep", in: 0...60_000))
        case "sysctl": return try readSysctlStep(a)
        case "firewall": return try firewallStep(&a)
        default:
            throw fail(a.verbNode, "unknown step '\(a.verb)'; steps are socket, setsockopt, nonblocking, bind, listen, connect, accept, send, sendto, recv, shutdown, close, poll, getsockopt, getsockname, sleep, sysctl, firewall, join (and thread and repeat blocks)")
        }
    }

    mutating func socketStep(_ a: inout StepArguments) throws(ScenarioFileError) -> Step {
        let name = try socketName(&a, mustExist: false)
        if sockets.contains(name) { throw fail(a.bare ?? a.args["socket"], "a socket named '\(name)' already exists") }
        var udp = false
        if let t = a.arg("type") {
            switch try string(t, "type") {
            case "tcp": udp = false
            case "udp": udp = true
            default: throw fail(t, "type must be tcp or udp")
            }
        }
        var ipv6: Bool?
        if let f = a.arg("family") {
            switch try string(f, "family") {
            case "ipv4": ipv6 = false
            case "ipv6": ipv6 = true
            default: throw fail(f, "family must be ipv4 or ipv6")
            }
        }
        let nb = try a.arg("nonblocking").map { (n: Node) throws(ScenarioFileError) -> Bool in try bool(n, "nonblocking") } ?? false
        sockets.insert(name)
        return .socket(name, udp: udp, ipv6: ipv6, nonBlocking: nb)
    }

    mutating func acceptStep(_ a: inout StepArguments) throws(ScenarioFileError) -> Step {
        let s = try socketName(&a)
        let newName = try string(try a.required("as"), "as")
        if sockets.contains(newName) { throw fail(a.args["as"], "a socket named '\(newName)' already exists") }
        sockets.insert(newName)
        return .accept(s, as: newName)
    }

    func sendStep(_ a: inout StepArguments) throws(ScenarioFileError) -> Step {
        let s = try socketName(&a)
        let payload: Payload
        switch (a.arg("data"), a.arg("bytes")) {
        case (let d?, nil): payload = .text(try string(d, "data"))
        case (nil, let b?): payload = .bytes(try int(b, "bytes", in: 1...16_777_216))
        case (_?, _?): throw fail(a.value, "send takes data or bytes, not both")
        case (nil, nil): throw fail(a.value, "send needs 'data' (text) or 'bytes' (a count)")
        }
        let signal = try a.arg("signal").map { (n: Node) throws(ScenarioFileError) -> Bool in try bool(n, "signal") } ?? false
        return .send(s, payload, signal: signal)
    }

    mutating func pollStep(_ a: inout StepArguments, index: Int) throws(ScenarioFileError) -> Step {
        let s = try socketName(&a)
        let events = try a.arg("events").map { (n: Node) throws(ScenarioFileError) -> String in try string(n, "events") } ?? "POLLOUT"
        guard events == "POLLOUT" || events == "POLLIN" else { throw fail(a.args["events"], "events must be POLLOUT or POLLIN") }
        let timeout = try a.arg("timeout").map { (n: Node) throws(ScenarioFileError) -> Int in try int(n, "timeout", in: -1...60_000) } ?? 1000
        if let r = a.arg("revents") { expectations.append(.output(step: index, name: "revents", value: try string(r, "revents"))) }
        return .poll(s, writable: events == "POLLOUT", timeoutMilliseconds: Int32(timeout))
    }

    mutating func getsockoptStep(_ a: inout StepArguments, index: Int) throws(ScenarioFileError) -> Step {
        let s = try socketName(&a)
        let o = try string(try a.required("option"), "option")
        guard o == "SO_ERROR" else { throw fail(a.args["option"], "getsockopt reads SO_ERROR only") }
        if let v = a.arg("value") { expectations.append(.output(step: index, name: "SO_ERROR", value: try string(v, "value"))) }
        return .socketError(s)
    }

    mutating func joinStep(_ a: StepArguments) throws(ScenarioFileError) -> Step {
        guard let bare = a.bare else { throw fail(a.value, "join takes a thread name: '- join: server'") }
        let t = try string(bare, "join")
        guard let joined = threads[t] else { throw fail(bare, "no thread named '\(t)' has been started") }
        guard !joined else { throw fail(bare, "thread '\(t)' is already joined") }
        guard thread == nil else { throw fail(bare, "join only from the scenario's main steps") }
        threads[t] = true
        return .join(t)
    }

    func readSysctlStep(_ a: StepArguments) throws(ScenarioFileError) -> Step {
        guard let bare = a.bare else {
            throw fail(a.value, "sysctl takes one name: '- sysctl: net.ipv4.ip_local_port_range' reads it; '- sysctl: {net.ipv4.tcp_tw_reuse: 1}' sets it")
        }
        let name = try string(bare, "sysctl")
        guard name.hasPrefix("net.") else { throw fail(bare, "only net.* sysctls are per network namespace") }
        return .readSysctl(name)
    }

    func firewallStep(_ a: inout StepArguments) throws(ScenarioFileError) -> Step {
        if let bare = a.bare, bare.scalar?.string == "flush" { return .firewallFlush }
        let hook = try string(try a.required("hook"), "hook")
        guard hook == "input" || hook == "output" else { throw fail(a.args["hook"], "hook must be input or output") }
        let rule = try string(try a.required("rule"), "rule")
        guard !rule.contains(";"), !rule.contains("\n") else { throw fail(a.args["rule"], "rule must be one nft rule, without ';'") }
        return .firewall(hook: hook, rule: rule)
    }

    /// setsockopt's option and its value.
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
