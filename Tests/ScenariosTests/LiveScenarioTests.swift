import Analysis
import Capture
import Foundation
import Reports
import Scenarios
import Sockets
import Session
import TestSupport
import Testing
import TraceModel

/// The scenarios, run for real: a private namespace, libpcap on its lo, real
/// kernel sockets. They need root; under CI=true they fail if they cannot run.
@Suite("live scenarios", .serialized, .enabled(if: LiveSupport.enabled, LiveSupport.reason))
struct LiveScenarioTests {
    @Test("runs live and matches its expectations", arguments: Catalogue.all.map(\.name))
    func scenarioPasses(_ name: String) throws {
        let scenario = try #require(Catalogue.named(name))
        let live = try ScenarioRunner.run(scenario, ipv6: false, settle: 200_000_000)
        let record = RunRecord(scenario: scenario, live: live)
        for r in record.results where !r.passed {
            Issue.record("\(name): \(r.expectation): observed \(r.observed)")
        }
        let passed = record.passed
        #expect(passed, "\(name) showed a DIFF")
        #expect(live.statistics.dropped == 0)
        // The scenario ran in its own namespace, not the process's.
        #expect(live.namespace != nil && live.namespace != live.hostNamespace)
    }

    @Test("every segment has a cause, and no cause is unknown", arguments: Catalogue.all.map(\.name))
    func everySegmentExplained(_ name: String) throws {
        let scenario = try #require(Catalogue.named(name))
        let record = RunRecord(scenario: scenario, live: try ScenarioRunner.run(scenario, ipv6: false, settle: 200_000_000))
        // The kernel attested every segment: the inference is only a cross-check here.
        #expect(record.timeline.kernelEvents == "attested", "\(name): kernel events \(record.timeline.kernelEvents ?? "nil")")
        for s in record.timeline.segments {
            if case .timer(.unknown) = s.cause { Issue.record("\(name) #\(s.index): cause unknown: \(s.explanation)") }
            #expect(s.source == .kernel, "\(name) #\(s.index) is not attested by the kernel: \(s.explanation)")
            #expect(!s.explanation.isEmpty)
        }
        // The README states that the inference agrees with the kernel on at least 90% of every
        // scenario's segments, or on all but one in a scenario of fewer than 10.
        if let a = record.timeline.inference, a.total > 0 {
            #expect(a.total - a.agree <= max(1, a.total / 10), "\(name): the inference agrees on only \(a.agree) of \(a.total): \(a.differences)")
        }
    }

    @Test("a saved run re-analysed offline gives the identical timeline")
    func offlineIdentical() throws {
        let scenario = try #require(Catalogue.named("connect"))
        let record = RunRecord(scenario: scenario, live: try ScenarioRunner.run(scenario, ipv6: false, settle: 200_000_000))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-\(UUID().uuidString).pcapng").path
        defer { unlink(path) }
        try AnnotatedPcapng.write(record, to: path)
        let reloaded = try #require(try SavedRun.load(path: path))
        #expect(RunText.render(reloaded) == RunText.render(record))
        #expect(RunJSON.render([reloaded]) == RunJSON.render([record]))
        // tshark reads the per-packet comments back.
        let comments = LiveSupport.shell("tshark -r \(path) -T fields -e frame.comment").split(separator: "\n").map(String.init)
        let ours = record.timeline.segments.map { PacketComment.text($0) }
        #expect(comments == ours)
    }

    @Test("the IPv6 variants pass too", arguments: ["connect", "close", "unlistened-port"])
    func ipv6(_ name: String) throws {
        let scenario = try #require(Catalogue.named(name))
        let record = RunRecord(scenario: scenario, live: try ScenarioRunner.run(scenario, ipv6: true, settle: 200_000_000))
        for r in record.results where !r.passed { Issue.record("\(name) over ::1: \(r.expectation): observed \(r.observed)") }
        #expect(record.timeline.segments.allSatisfy { $0.segment.flow.source.address.isIPv6 })
    }
}

/// A run changes nothing in the host's network namespace.
@Suite("host namespace untouched", .serialized, .enabled(if: LiveSupport.enabled, LiveSupport.reason))
struct HostNamespaceTests {
    static let sysctls = ["net.ipv4.tcp_syn_retries", "net.ipv4.tcp_tw_reuse", "net.ipv4.ip_local_port_range",
                          "net.ipv4.tcp_syncookies", "net.core.somaxconn"]

    struct HostState: Equatable {
        var sysctls: [String: String]
        var qdisc: String
        var ruleset: String
        var scenarioSockets: String
        var links: String
    }

    static func snapshot() -> HostState {
        HostState(sysctls: Dictionary(uniqueKeysWithValues: sysctls.map { ($0, NetworkNamespace.sysctl($0) ?? "?") }),
                  qdisc: LiveSupport.shell("tc qdisc show dev lo 2>&1"),
                  ruleset: LiveSupport.shell("nft list ruleset 2>&1"),
                  // Anything on the scenarios' ports in the host namespace.
                  scenarioSockets: LiveSupport.shell("ss -tanH '( sport = :5000 or sport = :5001 or sport = :6000 or dport = :5000 or dport = :6000 )' 2>&1"),
                  links: LiveSupport.shell("ip -o link show 2>&1 | cut -d: -f2"))
    }

    @Test("sockets, sysctls, lo qdisc and firewall are the same after every scenario")
    func untouched() throws {
        let before = Self.snapshot()
        for scenario in Catalogue.all {
            _ = try ScenarioRunner.run(scenario, ipv6: false, settle: 100_000_000)
        }
        let after = Self.snapshot()
        #expect(after == before)
        #expect(after.scenarioSockets.isEmpty)
        // The test thread itself never left the host namespace.
        #expect(NetworkNamespace.currentThreadNamespace() == NetworkNamespace.processNamespace())
    }
}

/// Without the privilege, `synscope run` says what is missing and exits 2.
@Suite("unprivileged run", .enabled(if: LiveSupport.enabled, LiveSupport.reason))
struct UnprivilegedRunTests {
    @Test("as user nobody: one clear message, exit 2")
    func nobody() throws {
        let out = try LiveSupport.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                                                            LiveSupport.binary, "run", "connect", "--out", "/tmp"])
        #expect(out.status == 2)
        #expect(out.stderr.contains("CAP_SYS_ADMIN"))
        #expect(out.stderr.split(separator: "\n").count == 1)
        #expect(out.stdout.isEmpty)
    }
}
