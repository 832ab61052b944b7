import Reports
import Scenarios
import Analysis
import Session
import TestSupport
import Testing

/// The expectation keys on the kernel's evidence: what they parse into, and each mistake with its line.
@Suite("kernel evidence expectations in scenario files")
struct KernelExpectationParsingTests {
    static let head = "name: x\nsummary: y\nsteps:\n  - socket: a\n  - close: {socket: a, counters: {TcpExtTW: 0}}\nexpect:\n"

    @Test("reset, dropped, timer and counters parse, per run and per step")
    func parses() throws {
        let text = Self.head + "  reset: {reason: NO_SOCKET}\n  dropped: TCP_LISTEN_OVERFLOW\n  timer: tcp_write_timer\n"
            + "  counters: {TcpExtListenOverflows: \">=1\", TcpExtTCPReqQFullDrop: \"<3\", TcpOutRsts: 2}\n"
        let s = try ScenarioFile.parse(text, source: "k.yaml")
        #expect(s.expectations.contains(.resetReason("NO_SOCKET")))
        #expect(s.expectations.contains(.dropped("TCP_LISTEN_OVERFLOW")))
        #expect(s.expectations.contains(.timer("tcp_write_timer")))
        #expect(s.expectations.contains(.counter(step: 1, name: "TcpExtTW", range: 0...0, text: "0")))
        #expect(s.expectations.contains(.counter(step: nil, name: "TcpExtListenOverflows", range: 1...Int64.max, text: ">=1")))
        #expect(s.expectations.contains(.counter(step: nil, name: "TcpExtTCPReqQFullDrop", range: Int64.min...2, text: "<3")))
        #expect(s.expectations.contains(.counter(step: nil, name: "TcpOutRsts", range: 2...2, text: "2")))
    }

    static let mistakes: [(String, Int, String)] = [
        (head + "  reset: {reason: no socket}\n", 7, "reset takes {reason: NAME}"),
        (head + "  reset: {why: NO_SOCKET}\n", 7, "reset takes {reason: NAME}"),
        (head + "  dropped: two words\n", 7, "expect.dropped takes one name"),
        (head + "  timer: \"\"\n", 7, "expect.timer takes one name"),
        (head + "  counters: {ListenOverflows: 1}\n", 7, "is not a /proc/net/netstat or snmp name"),
        (head + "  counters: {TcpExtTW: lots}\n", 7, "takes a number or a comparison"),
        (head + "  counters: {TcpExtTW: \">=\"}\n", 7, "takes a number or a comparison"),
        (head + "  kernel_reason: NO_SOCKET\n", 7, "unknown expectation 'kernel_reason'"),
    ]

    @Test("every mistake names its line", arguments: mistakes.indices)
    func mistake(_ i: Int) {
        let (text, line, words) = Self.mistakes[i]
        ScenarioMistake.expect(text, line: line, words: words, case: i)
    }
}

/// The same expectations checked against a recording: the kernel's evidence decides, both ways.
@Suite("kernel evidence expectations checked")
struct KernelExpectationCheckTests {
    static func recording(_ name: String) throws -> RunRecord {
        let path = LiveSupport.root.appendingPathComponent("captures/run-\(name).pcapng").path
        return try #require(try SavedRun.load(path: path))
    }

    static func verdicts(_ r: RunRecord, _ expectations: [Scenarios.Expectation]) -> [Bool] {
        let scenario = Scenario(name: r.scenario, summary: "", steps: [], expectations: expectations)
        return ExpectationCheck.check(scenario, timeline: r.timeline).map(\.passed)
    }

    @Test("unlistened-port: NO_SOCKET resets and drops, no TCP_STATE, no timer")
    func unlistened() throws {
        let r = try Self.recording("unlistened-port")
        #expect(r.timeline.kernelEvents == "attested")
        #expect(Self.verdicts(r, [.resetReason("NO_SOCKET"), .dropped("NO_SOCKET"), .counter(step: nil, name: "TcpOutRsts", range: 2...2, text: "2")])
                == [true, true, true])
        #expect(Self.verdicts(r, [.resetReason("TCP_STATE"), .dropped("NETFILTER_DROP"), .timer("tcp_write_timer"),
                                  .counter(step: nil, name: "TcpOutRsts", range: 3...3, text: "3")]) == [false, false, false, false])
    }

    @Test("backlog-overflow: the accept-queue drop proven by its counter")
    func overflow() throws {
        let r = try Self.recording("backlog-overflow")
        let dropped = r.timeline.segments.filter { $0.fate?.evidence == "counter:TcpExtListenOverflows" }
        #expect(!dropped.isEmpty && dropped.allSatisfy { $0.segment.isBareSYN && $0.fate?.dropped == "TCP_LISTEN_OVERFLOW" })
        #expect(Self.verdicts(r, [.dropped("TCP_LISTEN_OVERFLOW"), .counter(step: nil, name: "TcpExtListenOverflows", range: 1...Int64.max, text: ">=1")])
                == [true, true])
    }
}
