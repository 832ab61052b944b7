import Glibc
import TraceModel

/// Parses the text of a tracing instance's `trace` file (Documentation/trace/ftrace.rst, "Output format"):
///
///     <comm>-<pid> [<cpu>] <flags> <secs>.<usecs>: <event>: <fields>
///
/// The flags column is irqs-off/BH-disabled, need-resched, hardirq/softirq, preempt-depth,
/// migrate-disable; its third character is 's' in softirq, 'h' or 'H' in hardirq, 'z'/'Z' in NMI.
/// Clocks that count in ns (mono, boot…) are printed in µs. Pure: no I/O.
public enum TraceLineParser {
    /// The columns of one event line, before its fields are interpreted.
    public struct Line: Hashable, Sendable {
        public var comm: Substring
        public var pid: Int32
        public var cpu: Int
        public var flags: Substring
        /// Trace-clock nanoseconds (µs resolution in text).
        public var clock: Int64
        public var event: Substring
        public var fields: Substring

        public var context: KernelContext {
            let chars = Array(flags)
            guard chars.count >= 3 else { return .process }
            switch chars[2] {
            case "s": return .softirq
            case "h", "H", "z", "Z": return .hardirq
            default: return .process
            }
        }
    }

    /// The columns of one line; nil for comments, blank lines and anything malformed.
    public static func line(_ text: Substring) -> Line? {
        guard let first = text.first(where: { $0 != " " }), first != "#" else { return nil }
        // The CPU column is the first " [digits] " (comm is at most 15 characters and precedes it).
        var search = text.startIndex
        while let open = text[search...].firstIndex(of: "[") {
            guard let close = text[open...].firstIndex(of: "]") else { return nil }
            let digits = text[text.index(after: open)..<close]
            if !digits.isEmpty, digits.allSatisfy(\.isASCII), let cpu = Int(digits) {
                let head = text[..<open].drop(while: { $0 == " " })
                let task = head.reversed().drop(while: { $0 == " " })
                let taskText = Substring(String(task.reversed()))
                guard let dash = taskText.lastIndex(of: "-"), let pid = Int32(taskText[taskText.index(after: dash)...]) else { return nil }
                let rest = text[text.index(after: close)...].drop(while: { $0 == " " })
                guard let flagsEnd = rest.firstIndex(of: " ") else { return nil }
                let flags = rest[..<flagsEnd]
                let afterFlags = rest[flagsEnd...].drop(while: { $0 == " " })
                guard let colon = afterFlags.firstIndex(of: ":"), let clock = nanoseconds(afterFlags[..<colon]) else { return nil }
                let afterTime = afterFlags[afterFlags.index(after: colon)...].drop(while: { $0 == " " })
                // "event: fields", except syscalls: "sys_connect(fd: 3, …)" and "sys_connect -> 0x0".
                guard let eventEnd = afterTime.firstIndex(where: { $0 == ":" || $0 == "(" || $0 == " " }) else { return nil }
                let fields = afterTime[eventEnd] == ":" ? afterTime[afterTime.index(after: eventEnd)...].drop(while: { $0 == " " }) : afterTime
                return Line(comm: taskText[..<dash], pid: pid, cpu: cpu, flags: flags, clock: clock,
                            event: afterTime[..<eventEnd], fields: fields)
            }
            search = text.index(after: open)
        }
        return nil
    }

    /// "264.064867" → 264064867000 ns; also a plain count of ns ("264064867123").
    static func nanoseconds(_ text: Substring) -> Int64? {
        guard let dot = text.firstIndex(of: ".") else { return Int64(text) }
        guard let secs = Int64(text[..<dot]) else { return nil }
        let fraction = text[text.index(after: dot)...]
        guard !fraction.isEmpty, fraction.count <= 9, let f = Int64(fraction) else { return nil }
        var scale: Int64 = 1
        for _ in fraction.count..<9 { scale *= 10 }
        return secs * 1_000_000_000 + f * scale
    }

    /// `key=value` pairs separated by spaces; kfree_skb's `reason: X` is read as `reason=X`.
    static func fields(_ text: Substring) -> [Substring: Substring] {
        var result: [Substring: Substring] = [:]
        let words = text.split(separator: " ")
        var i = 0
        while i < words.count {
            let word = words[i]
            if let eq = word.firstIndex(of: "=") {
                result[word[..<eq]] = word[word.index(after: eq)...]
            } else if word.hasSuffix(":"), i + 1 < words.count {
                result[word.dropLast()] = words[i + 1]
                i += 1
            }
            i += 1
        }
        return result
    }

    /// The typed event of a line, its time mapped by adding `offset` (realtime − trace clock) to the
    /// trace-clock time. nil for events synscope does not record (or lines it cannot read).
    public static func event(_ line: Line, offset: Int64) -> KernelEvent? {
        guard let kind = kind(line) else { return nil }
        return KernelEvent(time: Timestamp(nanoseconds: line.clock &+ offset), cpu: line.cpu, pid: line.pid,
                           context: line.context, kind: kind)
    }

    static func kind(_ line: Line) -> KernelEvent.Kind? {
        if line.event == "tracing_mark_write" { return .marker(String(line.fields)) }
        if line.event.hasPrefix("sys_") { return syscall(line) }
        let f = fields(line.fields)
        switch line.event {
        case "net_dev_queue":
            guard let skb = hex(f["skbaddr"]), let len = f["len"].flatMap({ Int($0) }) else { return nil }
            return .devQueue(skb: skb, length: len)
        case "netif_receive_skb":
            guard let skb = hex(f["skbaddr"]), let len = f["len"].flatMap({ Int($0) }) else { return nil }
            return .receive(skb: skb, length: len)
        case "timer_expire_entry":
            guard let function = f["function"] else { return nil }
            return .timerEntry(function: String(function))
        case "timer_expire_exit":
            return .timerExit
        case "softirq_entry", "softirq_exit":
            // "vec=3 [action=NET_RX]"
            guard let action = f["[action"], action.hasSuffix("]") else { return nil }
            return line.event == "softirq_entry" ? .softirqEntry(action: String(action.dropLast())) : .softirqExit(action: String(action.dropLast()))
        case "tcp_send_reset":
            guard let reason = f["reason"], let socket = hex(f["skaddr"]) else { return nil }
            return .sendReset(local: hostPort(f["src"]), remote: hostPort(f["dest"]), state: state(f["state"]) ?? .unknown,
                              reason: ResetReason(rawValue: String(reason)), hasSocket: socket != 0, received: hex(f["skbaddr"]) ?? 0)
        case "tcp_receive_reset":
            let (local, remote) = addresses(f)
            return .receiveReset(local: local, remote: remote, state: state(f["state"]) ?? .unknown)
        case "tcp_retransmit_skb", "tcp_retransmit_synack":
            let (local, remote) = addresses(f)
            return .retransmit(local: local, remote: remote, state: state(f["state"]) ?? (line.event == "tcp_retransmit_synack" ? .synRecv : .unknown),
                               synAck: line.event == "tcp_retransmit_synack")
        case "inet_sock_set_state":
            guard f["protocol"] == "IPPROTO_TCP", let old = f["oldstate"], let new = f["newstate"] else { return nil }
            let (local, remote) = addresses(f)
            return .setState(local: local, remote: remote, old: KernelTCPState(rawValue: String(old)), new: KernelTCPState(rawValue: String(new)),
                             socket: hex(f["skaddr"]) ?? 0)
        case "inet_sk_error_report":
            guard let error = f["error"].flatMap({ Int32($0) }) else { return nil }
            let (local, remote) = addresses(f)
            return .errorReport(local: local, remote: remote, errno: error)
        case "task_newtask":
            guard let pid = f["pid"].flatMap({ Int32($0) }), let flags = hex(f["clone_flags"]) else { return nil }
            return .newTask(pid: pid, comm: String(f["comm"] ?? ""), flags: flags)
        case "sched_process_exec":
            guard let pid = f["pid"].flatMap({ Int32($0) }), let file = f["filename"] else { return nil }
            return .exec(pid: pid, filename: String(file))
        case "sched_process_exit":
            guard let pid = f["pid"].flatMap({ Int32($0) }) else { return nil }
            return .processExit(pid: pid, groupDead: f["group_dead"] != "false")
        case "tcp_rcv_space_adjust":
            let (local, remote) = addresses(f)
            return .receiveSpace(local: local, remote: remote)
        case "kfree_skb":
            guard let skb = hex(f["skbaddr"]), let reason = f["reason"] else { return nil }
            return .drop(skb: skb, reason: DropReason(rawValue: String(reason)), location: String(f["location"] ?? ""))
        default:
            return nil
        }
    }

    /// `sys_connect(fd: 3, uservaddr: 7ffd…, addrlen: 10)` and `sys_connect -> 0xffffffffffffff91`.
    static func syscall(_ line: Line) -> KernelEvent.Kind? {
        let text = line.fields
        let words = text.split(separator: " ")
        if words.count == 3, words[1] == "->" {
            let name = words[0].dropFirst(4)
            guard let raw = hex(words[2]) else { return nil }
            return .syscallExit(name: Syscall(String(name)), result: Int64(bitPattern: raw))
        }
        guard let open = text.firstIndex(of: "("), text.last == ")" else { return nil }
        let name = text[..<open].dropFirst(4)
        let args = text[text.index(after: open)..<text.index(before: text.endIndex)].split(separator: ",").compactMap { part -> UInt64? in
            guard let colon = part.firstIndex(of: ":") else { return nil }
            var value = part[part.index(after: colon)...].drop(while: { $0 == " " })
            if value.hasPrefix("0x") { value = value.dropFirst(2) }
            return UInt64(value, radix: 16)
        }
        return .syscallEnter(name: Syscall(String(name)), args: args)
    }

    static func state(_ text: Substring?) -> KernelTCPState? {
        text.map { KernelTCPState(rawValue: String($0)) }
    }

    static func hex(_ text: Substring?) -> UInt64? {
        guard var text else { return nil }
        if text.hasPrefix("0x") { text = text.dropFirst(2) }
        return UInt64(text, radix: 16)
    }

    /// The local and remote ends from family/sport/dport/saddr/daddr/saddrv6/daddrv6.
    static func addresses(_ f: [Substring: Substring]) -> (SocketAddress?, SocketAddress?) {
        let v6 = f["family"] == "AF_INET6"
        func end(_ address: Substring?, _ port: Substring?) -> SocketAddress? {
            guard let address, let port = port.flatMap({ UInt16($0) }), let ip = ipAddress(address) else { return nil }
            return SocketAddress(ip, port)
        }
        return (end(v6 ? f["saddrv6"] : f["saddr"], f["sport"]), end(v6 ? f["daddrv6"] : f["daddr"], f["dport"]))
    }

    /// `127.0.0.1:5001` or `[::1]:5001` (%pISpc).
    static func hostPort(_ text: Substring?) -> SocketAddress? {
        guard let text, let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard let ip = ipAddress(host) else { return nil }
        return SocketAddress(ip, port)
    }

    static func ipAddress(_ text: Substring) -> IPAddress? {
        if let v4 = IPv4Address(String(text)) { return .v4(v4) }
        var raw = in6_addr()
        guard inet_pton(AF_INET6, String(text), &raw) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: raw) { Array($0) }
        let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let low = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return .v6(IPv6Address(high: high, low: low))
    }

    /// Every recorded event of a trace text, in order, mapped with `offset`.
    public static func events(_ text: String, offset: Int64) -> [KernelEvent] {
        text.split(separator: "\n").compactMap { line($0).flatMap { event($0, offset: offset) } }
    }
}
