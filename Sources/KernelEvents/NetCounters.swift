import Glibc

/// The calling thread's network namespace counters: /proc/thread-self/net/netstat and
/// /proc/thread-self/net/snmp (proc(5)), named as nstat(8) names them: "TcpExtListenOverflows",
/// "TcpRetransSegs". Both files are pairs of lines, "Prefix: Name1 Name2…" then "Prefix: v1 v2…".
public enum NetCounters {
    public static func read() -> [String: Int64] {
        var counters: [String: Int64] = [:]
        for path in ["/proc/thread-self/net/netstat", "/proc/thread-self/net/snmp"] {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 8192)
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                bytes.append(contentsOf: chunk[0..<n])
            }
            close(fd)
            parse(String(decoding: bytes, as: UTF8.self), into: &counters)
        }
        return counters
    }

    /// Reads one netstat/snmp text; a header line with no matching value line is skipped.
    public static func parse(_ text: String, into counters: inout [String: Int64]) {
        let lines = text.split(separator: "\n")
        var i = 0
        while i + 1 < lines.count {
            let names = lines[i].split(separator: " "), values = lines[i + 1].split(separator: " ")
            guard names.count == values.count, names.count > 1, names[0] == values[0], names[0].hasSuffix(":"),
                  values.dropFirst().allSatisfy({ Int64($0) != nil }) else { i += 1; continue }
            let prefix = names[0].dropLast()
            for (name, value) in zip(names.dropFirst(), values.dropFirst()) {
                counters["\(prefix)\(name)"] = Int64(value)
            }
            i += 2
        }
    }

    /// Only the counters whose value moved (after − before); a counter new in `after` counts from 0.
    public static func delta(_ before: [String: Int64], _ after: [String: Int64]) -> [String: Int64] {
        var moved: [String: Int64] = [:]
        for (name, value) in after {
            let d = value &- (before[name] ?? 0)
            if d != 0 { moved[name] = d }
        }
        return moved
    }
}
