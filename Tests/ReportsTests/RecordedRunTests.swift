import Analysis
import Capture
import Foundation
import Reports
import Scenarios
import Session
import TestSupport
import Testing
import TraceModel

/// synscope's own recordings (captures/run-*.pcapng, tools/record-captures),
/// checked offline, without root.
@Suite("recorded runs")
struct RecordedRunTests {
    static let runs = Fixtures.captureNames.filter { $0.hasPrefix("run-") && $0.hasSuffix(".pcapng") }

    static func load(_ name: String) throws -> RunRecord {
        try #require(try SavedRun.load(path: Fixtures.path(name)), "\(name) has no synscope metadata")
    }

    @Test("every scenario of the catalogue has a recording")
    func everyScenarioRecorded() {
        #expect(Set(Self.runs) == Set(Catalogue.all.map { "run-\($0.name).pcapng" }))
    }

    @Test("the recorded run still meets its scenario's expectations", arguments: runs)
    func stillPasses(_ name: String) throws {
        let record = try Self.load(name)
        #expect(record.passed, "\(name): the recorded run no longer meets its scenario's expectations")
    }

    @Test("tshark shows synscope's explanation as each packet's comment", arguments: runs)
    func comments(_ name: String) throws {
        let record = try Self.load(name)
        let out = try Fixtures.run(try Fixtures.tool("tshark"), ["-r", Fixtures.path(name), "-Y", "!frame.cb_pen", "-T", "fields", "-e", "frame.comment"])
        let comments = out.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        let ours = record.timeline.entries.compactMap { entry -> String? in
            switch entry {
            case .segment(let g): PacketComment.text(g)
            case .datagram(let d): PacketComment.text(d)
            case .syscall: nil
            }
        }
        #expect(comments == ours)
        #expect((try? Fixtures.run(try Fixtures.tool("capinfos"), [Fixtures.path(name)])) != nil)
    }

    @Test("every segment has a sender (or none for the kernel's own RST) and a known cause", arguments: runs)
    func causes(_ name: String) throws {
        let record = try Self.load(name)
        for s in record.timeline.segments {
            if case .timer(.unknown) = s.cause { Issue.record("\(name) #\(s.index): unknown cause") }
            if s.sender == nil {
                // Only the kernel answering for a port without a listening socket sends with no socket.
                #expect(s.segment.isRST, "\(name) #\(s.index): no sender for [\(s.segment.flags.tcpdumpNotation)]")
            }
        }
    }

    @Test("connect: the SYN comes from connect(), connect() returns after the SYN-ACK, accept() after the final ACK")
    func connectCorrelation() throws {
        let t = try Self.load("run-connect.pcapng").timeline
        let segs = t.segments
        let connect = try #require(t.syscalls.first { $0.event.call == .connect })
        let accept = try #require(t.syscalls.first { $0.event.call == .accept })
        let syn = try #require(segs.first { $0.segment.isBareSYN })
        let synack = try #require(segs.first { $0.segment.isSYNACK })
        let ack = try #require(segs.first { !$0.segment.isSYN && $0.segment.hasACK })
        #expect(syn.cause == .syscall(event: connect.index))
        #expect(syn.sender == "client")
        #expect(synack.cause == .reply(to: syn.index))
        #expect(synack.sender == "server")
        #expect(ack.cause == .reply(to: synack.index))
        #expect(connect.returnedAfter == synack.index)
        #expect(accept.returnedAfter == ack.index)
        #expect(connect.caused == [syn.index])
        // On loopback the whole handshake happens inside the connect() call.
        #expect([syn, synack, ack].allSatisfy { $0.segment.time >= connect.event.begin && $0.segment.time <= connect.event.end })
    }

    @Test("unlistened-port: both SYNs are refused by the kernel's RST, with no sending socket")
    func refusedCorrelation() throws {
        let t = try Self.load("run-unlistened-port.pcapng").timeline
        let rsts = t.segments.filter { $0.segment.isRST }
        #expect(rsts.count == 2)
        #expect(rsts.allSatisfy { if case .reply = $0.cause { true } else { false } })
        // The kernel sent both with no socket (tcp_send_reset: skaddr=0, reason NO_SOCKET), even the one
        // to the port `bound` holds: a socket that is only bound takes no SYN.
        #expect(rsts.allSatisfy { $0.sender == nil && $0.source == .kernel })
        #expect(rsts.map { $0.kernel?.resetReason } == ["NO_SOCKET", "NO_SOCKET"])
        #expect(rsts.allSatisfy { $0.explanation.contains("reason NO_SOCKET") })
        let connects = t.syscalls.filter { $0.event.call == .connect }
        #expect(connects.map(\.event.error) == [.connectionRefused, .connectionRefused])
        #expect(connects.map(\.returnedAfter) == rsts.map { Optional($0.index) })
    }

    @Test("self-connect: one socket sends every segment")
    func selfConnect() throws {
        let t = try Self.load("run-self-connect.pcapng").timeline
        #expect(t.segments.allSatisfy { $0.sender == "socket" })
        #expect(t.connections.count == 1)
        #expect(t.connections.first?.handshake == .selfConnect)
    }

    @Test("close: FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT and CLOSE-WAIT → LAST-ACK → CLOSED, read() returns 0")
    func close() throws {
        let t = try Self.load("run-close.pcapng").timeline
        func changes(_ pick: (ConnectionStates) -> TCPState) -> [TCPState] {
            var out: [TCPState] = []
            for s in t.segments.map({ pick($0.annotated.states) }) where out.last != s { out.append(s) }
            return out
        }
        #expect(changes(\.originator).suffix(3) == [.finWait1, .finWait2, .timeWait])
        #expect(changes(\.responder).suffix(3) == [.closeWait, .lastAck, .closed])
        let eof = try #require(t.syscalls.first { $0.event.call == .recv && $0.event.result == 0 })
        let fin = try #require(t.segments.first { $0.segment.isFIN })
        #expect(eof.returnedAfter == fin.index)
    }

    /// concurrent-connect-crossed.pcapng: a run of concurrent-connect (re-annotated with `report --format
    /// pcapng`) in which the two threads' SYN and the first SYN-ACK were queued on two CPUs within 3 µs,
    /// and the capture ring saw the SYN-ACK before the second SYN: matched by length and time alone,
    /// their queue events cross.
    @Test("two same-length packets queued at once on two CPUs: each reply answers its own flow's packet")
    func crossedQueueEvents() throws {
        let record = try Self.load("concurrent-connect-crossed.pcapng")
        let events = try #require(record.metadata.kernelEvents)
        let packets = record.packets.map { ($0.frame, $0.timestamp, $0.originalLength) }
        let flows = KernelAttribution.tcpFlows(record.packets)
        /// Frames attested as replies to a packet of another flow than their reverse, or to a later packet.
        func crossed(_ a: [Int: PacketAttestation]) -> [Int] {
            a.compactMap { frame, at in
                guard case .reply(let to?) = at.origin else { return nil }
                return to > frame || flows[frame] != flows[to]?.reversed ? frame : nil
            }.sorted()
        }
        #expect(!crossed(KernelAttribution.attest(packets: packets, events: events)).isEmpty, "the recording no longer shows the crossing")
        let attested = KernelAttribution.attest(packets: packets, flows: flows, events: events)
        #expect(attested.count == record.packets.count)
        #expect(crossed(attested).isEmpty)
        // Each SYN-ACK answers the SYN of its own connection, and the inference agrees with every attested cause.
        let t = record.timeline
        for s in t.segments where s.segment.isSYNACK {
            guard case .reply(let to) = s.cause, let syn = t.segments.first(where: { $0.index == to }) else {
                Issue.record("#\(s.index) [S.] is not a reply: \(s.cause)")
                continue
            }
            #expect(syn.segment.isSYN && !syn.segment.isSYNACK && syn.segment.flow == s.segment.flow.reversed)
        }
        let agreement = try #require(t.inference)
        #expect(agreement.agree == agreement.total, "\(agreement.differences)")
    }
}
