import Analysis
import Foundation
import Scenarios
import Session
import TestSupport
import Testing

/// The kernel's events carry no namespace: a run must not take another
/// namespace's resets, retransmissions or state changes for its own, even on
/// the same addresses and ports. Host loopback traffic on the scenarios'
/// ports runs throughout these runs.
@Suite("kernel events of other namespaces", .serialized, .enabled(if: LiveSupport.enabled, LiveSupport.reason))
struct KernelIsolationTests {
    /// Host-namespace traffic for `seconds`: connections to a listener on 5000, and SYNs to 5001 and 9
    /// that nothing listens on (RSTs with reason NO_SOCKET). SO_LINGER 0 leaves no TIME-WAIT behind.
    static let hostTraffic = """
    import socket, struct, time, sys
    linger = struct.pack('ii', 1, 0)
    srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', 5000)); srv.listen(64); srv.settimeout(0.05)
    end = time.time() + float(sys.argv[1]); n = 0
    while time.time() < end:
        for port in (5000, 5001, 9):
            c = socket.socket(); c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            try: c.connect(('127.0.0.1', port))
            except OSError: pass
            c.close(); n += 1
        try:
            a, _ = srv.accept(); a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger); a.close()
        except OSError: pass
    srv.close()
    print(n)
    """

    @Test("host traffic on the same ports during a run is never attributed", arguments: ["connect", "unlistened-port", "close-unread-data"])
    func isolated(_ name: String) throws {
        let scenario = try #require(Catalogue.named(name))
        let traffic = Process()
        traffic.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        traffic.arguments = ["-c", Self.hostTraffic, "3"]
        let out = Pipe()
        traffic.standardOutput = out
        try traffic.run()
        usleep(200_000)
        let live = try ScenarioRunner.run(scenario, ipv6: false, settle: 200_000_000)
        traffic.waitUntilExit()
        let connections = Int(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(connections > 50, "the host traffic did not run: \(connections) connections")

        let record = RunRecord(scenario: scenario, live: live)
        #expect(record.passed, "\(name): \(record.results.filter { !$0.passed })")
        let events = try #require(live.kernelEvents)
        let segments = record.timeline.segments
        // Every reset event kept belongs to one of the run's RSTs, and every RST has its reason.
        let resets = events.filter { if case .sendReset = $0.kind { true } else { false } }.count
        let rsts = segments.filter(\.segment.isRST)
        #expect(resets == rsts.count, "\(name): \(resets) reset events kept for \(rsts.count) RSTs")
        #expect(rsts.allSatisfy { $0.kernel?.resetReason != nil })
        // Every segment attested, every state change on the run's own sockets.
        #expect(segments.allSatisfy { $0.source == .kernel })
        let ports = Set(segments.flatMap { [$0.segment.flow.source.port, $0.segment.flow.destination.port] })
        for change in record.timeline.stateChanges {
            #expect(change.socket != nil || change.local.map { ports.contains($0.port) } == true, "\(name): a state change of no socket of the run: \(change)")
        }
        let flows = Set(segments.map { DirectedFlowKey($0.segment.flow.source.port, $0.segment.flow.destination.port) })
        for e in events {
            guard case .setState(let l?, let r?, _, _, _) = e.kind, l.port != 0, r.port != 0 else { continue }
            #expect(flows.contains(DirectedFlowKey(l.port, r.port)), "\(name): a kept state change of another namespace: \(e)")
        }
    }

    struct DirectedFlowKey: Hashable {
        var a: UInt16, b: UInt16
        init(_ a: UInt16, _ b: UInt16) { self.a = a; self.b = b }
    }
}
