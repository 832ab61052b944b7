import Foundation
import TestSupport
import Testing

/// synscope's kernel evidence checked against a tracing instance this test
/// makes itself, with the kernel's own text, independently of synscope's
/// recorder and parser: every RST's reason, every retransmission, every
/// state change of the run's ports.
@Suite("kernel witness", .serialized, .enabled(if: LiveSupport.enabled, LiveSupport.reason))
struct KernelWitnessTests {
    static let scenarios = ["unlistened-port", "close-unread-data", "linger-zero", "write-after-reset", "backlog-overflow", "connect-timeout"]

    struct Run {
        var json: [String: Any]
        var trace: [String]
    }

    /// Runs synscope inside `unshare -m`, with the test's own instance recording three tracepoints around it.
    static func record() throws -> [Run] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-witness-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let instance = "witness-\(getpid())"
        let script = """
        set -e
        mount --make-rprivate / && mount -t tracefs nodev /sys/kernel/tracing
        t=/sys/kernel/tracing/instances/\(instance)
        mkdir $t
        trap 'echo 0 > $t/tracing_on; rmdir $t' EXIT
        echo 8192 > $t/buffer_size_kb
        for e in tcp/tcp_send_reset tcp/tcp_retransmit_skb tcp/tcp_retransmit_synack sock/inet_sock_set_state; do echo 1 > $t/events/$e/enable; done
        echo 1 > $t/tracing_on
        \(LiveSupport.binary) run \(scenarios.joined(separator: " ")) --format json --out \(dir) > \(dir)/run.json || true
        echo 0 > $t/tracing_on
        cat $t/trace > \(dir)/trace.txt
        """
        let out = try LiveSupport.run("/usr/bin/unshare", ["-m", "/bin/sh", "-c", script])
        #expect(out.status == 0, "\(out.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/run.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let runs = try #require(object["runs"] as? [[String: Any]])
        let trace = try String(contentsOfFile: "\(dir)/trace.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        return runs.map { Run(json: $0, trace: trace) }
    }

    static func field(_ name: String, in line: String) -> String? {
        guard let r = line.range(of: " \(name)=") else { return nil }
        return String(line[r.upperBound...].prefix { $0 != " " })
    }

    static func segments(_ run: [String: Any]) -> [[String: Any]] {
        (run["events"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "segment" }
    }

    /// The ports of a run's segments: the kernel lines of this run are those between two of them.
    static func ports(_ run: [String: Any]) -> Set<String> {
        Set(segments(run).flatMap { ["\($0["sport"]!)", "\($0["dport"]!)"] })
    }

    @Test("reset reasons, retransmissions and state changes match the kernel's own trace")
    func witness() throws {
        let runs = try Self.record()
        #expect(runs.count == Self.scenarios.count)
        for run in runs {
            let name = run.json["scenario"] as? String ?? "?"
            #expect(run.json["kernel_events"] as? String == "attested", "\(name): \(run.json["kernel_events"] ?? "nil")")
            let ports = Self.ports(run.json)
            // Lines naming two of the run's ports (a reset for a listener under tcp_abort_on_overflow prints dest=0.0.0.0:0: one).
            func ours(_ line: String) -> Bool {
                let addresses = [Self.field("src", in: line), Self.field("dest", in: line)].compactMap { $0?.split(separator: ":").last.map(String.init) }
                    + [Self.field("sport", in: line), Self.field("dport", in: line)].compactMap { $0 }
                let real = addresses.filter { $0 != "0" && ports.contains($0) }.count
                // A listener's state line has dport 0; a reset under tcp_abort_on_overflow prints dest=0.0.0.0:0.
                return real >= 2 || (real == 1 && addresses.contains("0"))
            }
            let segments = Self.segments(run.json)

            // Every RST: its reason as tcp_send_reset printed it, reason for reason.
            let kernelReasons = run.trace.filter { $0.contains("tcp_send_reset:") && ours($0) }.compactMap { Self.field("reason", in: $0) }.sorted()
            let ourReasons = segments.compactMap { ($0["kernel"] as? [String: Any])?["reset_reason"] as? String }.sorted()
            #expect(ourReasons == kernelReasons, "\(name): reset reasons")
            let rsts = segments.filter { ($0["flags"] as? String)?.contains("R") == true }
            #expect(rsts.count == ourReasons.count, "\(name): an RST without a reason")

            // Every retransmission the kernel reported is marked, and no other.
            let kernelRetransmits = run.trace.filter { ($0.contains("tcp_retransmit_skb:") || $0.contains("tcp_retransmit_synack:")) && ours($0) }.count
            let ourRetransmits = segments.filter { ($0["kernel"] as? [String: Any])?["retransmit"] as? Bool == true }.count
            #expect(ourRetransmits == kernelRetransmits, "\(name): retransmissions")

            // Every state change of the run's 4-tuples, in order.
            func rfc(_ s: String) -> String {
                switch s {
                case "TCP_SYN_RECV", "TCP_NEW_SYN_RECV": "SYN-RECEIVED"
                case "TCP_CLOSE": "CLOSED"
                case "TCP_FIN_WAIT1": "FIN-WAIT-1"
                case "TCP_FIN_WAIT2": "FIN-WAIT-2"
                default: String(s.dropFirst(4).map { $0 == "_" ? "-" : $0 })
                }
            }
            let kernelChanges = run.trace.filter { $0.contains("inet_sock_set_state:") && ours($0) && Self.field("sport", in: $0) != "0" }
                .compactMap { l -> String? in
                    guard let a = Self.field("saddr", in: l), let sp = Self.field("sport", in: l), let b = Self.field("daddr", in: l), let dp = Self.field("dport", in: l),
                          let o = Self.field("oldstate", in: l), let n = Self.field("newstate", in: l) else { return nil }
                    return "\(a):\(sp)-\(b):\(dp) \(rfc(o))→\(rfc(n))"
                }
            let ourChanges = (run.json["state_changes"] as? [[String: Any]] ?? []).compactMap { c -> String? in
                guard let l = c["local"] as? String, let f = c["from"] as? String, let t = c["to"] as? String else { return nil }
                let r = c["remote"] as? String ?? "0.0.0.0:0"
                return "\(l)-\(r) \(f)→\(t)"
            }.filter { !$0.hasPrefix("0") }
            // synscope fills in the port of a CLOSED → SYN-SENT change; the kernel printed 0 there and is skipped above.
            let comparable = ourChanges.filter { !$0.hasSuffix("CLOSED→SYN-SENT") || kernelChanges.contains($0) }
            #expect(comparable == kernelChanges, "\(name): state changes")
        }
    }
}
