import Foundation
import Scenarios
import Analysis
import Session
import TestSupport
import Testing
import TraceModel

/// The scenario language run for real: threads in the scenario's namespace,
/// repeats, timeouts that interrupt a blocking call and never hang the run.
@Suite("live scenario language", .serialized, .enabled(if: LiveSupport.enabled, LiveSupport.reason))
struct LiveLanguageTests {
    static let example = LiveSupport.root.appendingPathComponent("Tests/ScenariosTests/Examples/threads-repeat-timeout.yaml").path

    @Test("a user's file with a thread, a repeat and timeouts runs and passes")
    func exampleFile() throws {
        let scenario = try Catalogue.load(path: Self.example)
        let live = try ScenarioRunner.run(scenario, ipv6: false, settle: 200_000_000)
        let record = RunRecord(scenario: scenario, live: live)
        for r in record.results where !r.passed { Issue.record("\(r.expectation): observed \(r.observed)") }
        #expect(record.passed)
        #expect(live.namespace != nil && live.namespace != live.hostNamespace)
        // The server thread's calls carry its name and its own kernel thread id.
        let server = live.events.filter { $0.thread == "server" }
        let main = live.events.filter { $0.thread == nil && $0.tid != nil }
        #expect(server.map(\.call.rawValue) == ["accept", "recv"])
        #expect(Set(server.compactMap(\.tid)).count == 1 && server.first?.tid != main.first?.tid)
        // The recv() was interrupted by its 300 ms timeout, not earlier and not much later.
        let recv = try #require(server.last)
        #expect(recv.error == .interrupted && recv.outputs.contains { $0.name == "timed_out" })
        let waited = recv.end.nanoseconds - recv.begin.nanoseconds
        #expect(waited >= 290_000_000 && waited < 3_000_000_000, "waited \(waited) ns")
    }

    @Test("a call that times out fails its expectation, naming the step and its line, and the run goes on")
    func timeoutNamesTheStep() throws {
        let text = """
        name: stuck
        summary: A recv() with nothing to come.
        steps:
          - socket: listener
          - bind: {socket: listener, port: 7650}
          - listen: {socket: listener, backlog: 2}
          - socket: client
          - connect: {socket: client, port: 7650}
          - recv: {socket: client, max: 10, timeout: 200, expect: ok}
          - getsockname: {socket: client, expect: ok}
        """
        let scenario = try ScenarioFile.parse(text, source: "stuck.yaml")
        let start = Date()
        let record = RunRecord(scenario: scenario, live: try ScenarioRunner.run(scenario, ipv6: false, settle: 100_000_000))
        #expect(Date().timeIntervalSince(start) < 5)
        let failed = record.results.filter { !$0.passed }
        #expect(failed.count == 1)
        #expect(failed.first?.observed.contains("step 5 (line 9) timed out after 200 ms") == true, "\(failed)")
        #expect(record.results.last?.passed == true)
    }

    @Test("sockets of both families in one run")
    func mixedFamilies() throws {
        let text = """
        name: mixed
        summary: An IPv6 listener and an IPv4 one, each with its client.
        steps:
          - socket: {socket: six, family: ipv6}
          - bind: {socket: six, address: "::1", port: 7660}
          - listen: {socket: six, backlog: 2}
          - socket: four
          - bind: {socket: four, address: 127.0.0.2, port: 7660}
          - listen: {socket: four, backlog: 2}
          - socket: {socket: c6, family: ipv6}
          - connect: {socket: c6, port: 7660, expect: ok}
          - socket: c4
          - connect: {socket: c4, address: 127.0.0.2, port: 7660, expect: ok}
          - accept: {socket: six, as: s6, peer: "[::1]:*", accepted: c6}
          - accept: {socket: four, as: s4, peer: "127.0.0.1:*", address: "127.0.0.2:7660", accepted: c4}
        """
        let scenario = try ScenarioFile.parse(text, source: "mixed.yaml")
        let record = RunRecord(scenario: scenario, live: try ScenarioRunner.run(scenario, ipv6: false, settle: 100_000_000))
        for r in record.results where !r.passed { Issue.record("\(r.expectation): observed \(r.observed)") }
        #expect(record.passed)
        #expect(Set(record.timeline.segments.map { $0.segment.flow.source.address.isIPv6 }) == [true, false])
    }
}
