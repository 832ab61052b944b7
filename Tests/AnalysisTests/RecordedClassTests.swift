@testable import Analysis
import Capture
import Foundation
import PacketWire
import TestSupport
import Testing
import TraceModel

/// The classes, Zeek fields and endpoint states of the connections in the
/// real loopback recordings: synscope's own (`captures/run-*`,
/// tools/record-captures) and tcpdump's (`captures/conn-*`,
/// tools/record-analysis-fixtures) for what a scenario cannot end in.
@Suite("recorded connection classes")
struct RecordedClassTests {
    static func connections(_ name: String, keepSegmentsUpToID: Int = .max) throws -> [Connection] {
        let reader = try CaptureFileReader(path: Captures.path(name))
        var tracker = ConnectionTracker(options: .init(keepSegments: true, keepSegmentsUpToID: keepSegmentsUpToID))
        var out: [Connection] = []
        try reader.forEach { r in
            let d = PacketDecoder.decode(r.bytes, linkType: r.linkType, originalLength: r.originalLength)
            if let s = TCPSegment(d, frame: r.frame, time: r.timestamp) { out += tracker.observe(s).emitted }
        }
        return (out + tracker.finish()).sorted { $0.id < $1.id }
    }

    @Test("keepSegmentsUpToID keeps the segments of the first connections only, and changes nothing else")
    func segmentsOfTheFirstConnections() throws {
        // 200 connections: the SYN flood recording.
        let all = try Self.connections("run-syn-flood-cookies.pcapng")
        let first = try Self.connections("run-syn-flood-cookies.pcapng", keepSegmentsUpToID: 7)
        try #require(all.count == 200 && first.count == all.count)
        for (a, f) in zip(all, first) {
            #expect(!a.segments.isEmpty)
            var stripped = a
            if a.id > 7 { stripped.segments = [] }
            #expect(f == stripped, "connection \(a.id)")
        }
    }

    struct Expected: Sendable, CustomStringConvertible {
        var file: String
        /// Which connection of the capture (1-based id); tcpdump recordings hold one.
        var id = 1
        var handshake: HandshakeClass
        var teardown: TeardownClass
        var connState: String
        var history: String
        var description: String { "\(file) #\(id)" }
    }

    /// synscope's own recordings (`run-*`, tools/record-captures) where its
    /// scenarios show the class; tcpdump recordings (`conn-*`) for the
    /// classes a scenario cannot end in (a capture stopped mid-close, a
    /// handshake whose last ACK never appears) and for IPv6.
    static let cases: [Expected] = [
        .init(file: "run-connect.pcapng", handshake: .threeWay, teardown: .graceful, connState: "SF", history: "ShADadFf"),
        .init(file: "run-close.pcapng", handshake: .threeWay, teardown: .graceful, connState: "SF", history: "ShADaFf"),
        .init(file: "conn-ipv6-graceful.pcap", handshake: .threeWay, teardown: .graceful, connState: "SF", history: "ShADadFf"),
        .init(file: "run-unlistened-port.pcapng", handshake: .refused, teardown: .resetByResponder, connState: "REJ", history: "Sr"),
        .init(file: "run-bound-not-listening.pcapng", handshake: .refused, teardown: .resetByResponder, connState: "REJ", history: "Sr"),
        .init(file: "run-connect-timeout.pcapng", handshake: .unanswered, teardown: .open, connState: "S0", history: "S"),
        // Zeek sees one endpoint: the SYN-ACK repeats the SYN's ISN (no second S/H), the responder stays inactive.
        .init(file: "run-self-connect.pcapng", handshake: .selfConnect, teardown: .graceful, connState: "SH", history: "SADF"),
        // Connection 1 is the scenario's clock connection; 2 is the crossing pair.
        .init(file: "run-simultaneous-open.pcapng", id: 2, handshake: .simultaneousOpen, teardown: .graceful, connState: "SF", history: "SsaADdFf"),
        .init(file: "run-close-unread-data.pcapng", handshake: .threeWay, teardown: .resetByResponder, connState: "RSTR", history: "ShADar"),
        .init(file: "run-linger-zero.pcapng", handshake: .threeWay, teardown: .resetByOriginator, connState: "RSTO", history: "ShADadR"),
        .init(file: "run-half-close.pcapng", handshake: .threeWay, teardown: .graceful, connState: "SF", history: "ShADaFdf"),
        .init(file: "run-write-after-reset.pcapng", handshake: .threeWay, teardown: .abortAfterFIN, connState: "RSTR", history: "ShAfDr"),
        .init(file: "run-keepalive.pcapng", handshake: .threeWay, teardown: .resetByOriginator, connState: "RSTO", history: "ShAaRf"),
        // Zeek counts a SYN-ACK as established: S1 beside synscope's `incomplete`.
        .init(file: "conn-incomplete.pcap", handshake: .incomplete, teardown: .open, connState: "S1", history: "Sh"),
        .init(file: "conn-half-closed.pcap", handshake: .threeWay, teardown: .halfClosed, connState: "S2", history: "ShADaFd"),
        // Zeek needs only a FIN each way for SF; the missing last ACK is synscope's class.
        .init(file: "conn-fin-unacknowledged.pcap", handshake: .threeWay, teardown: .finUnacknowledged, connState: "SF", history: "ShADadFf"),
        .init(file: "conn-abort-after-fin.pcap", handshake: .threeWay, teardown: .abortAfterFIN, connState: "RSTO", history: "ShADaFdR"),
    ]

    /// Every handshake and teardown class appears in at least one recorded capture.
    @Test("every class is covered by a recording")
    func everyClassCovered() {
        let handshakes = Set(Self.cases.map(\.handshake))
        let teardowns = Set(Self.cases.map(\.teardown))
        // `none` (mid-stream) comes from synthetic-midstream.pcap, tested below.
        #expect(handshakes.union([.none]) == Set(HandshakeClass.allCases))
        #expect(teardowns == Set(TeardownClass.allCases))
    }

    @Test("class, conn_state and history", arguments: cases)
    func classes(_ e: Expected) throws {
        let all = try Self.connections(e.file)
        let c = try #require(all.first { $0.id == e.id })
        if e.file.hasPrefix("conn-") { #expect(all.count == 1) }
        #expect(c.handshake == e.handshake)
        #expect(c.teardown == e.teardown)
        #expect(c.connState == e.connState)
        #expect(c.history == e.history)
        #expect(!c.originatorIsGuess)
    }

    /// The active closer goes FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT, the passive
    /// closer CLOSE-WAIT → LAST-ACK → CLOSED, as `ss` showed during the recording
    /// (captures/conn-graceful.ss.txt: FIN-WAIT-2 / CLOSE-WAIT, then TIME-WAIT).
    @Test("graceful close states agree with ss")
    func gracefulStates() throws {
        let c = try #require(try Self.connections("conn-graceful.pcap").first)
        func changes(_ pick: (ConnectionStates) -> TCPState) -> [TCPState] {
            var out: [TCPState] = []
            for s in c.segments.map({ pick($0.states) }) where out.last != s { out.append(s) }
            return out
        }
        #expect(changes(\.originator) == [.synSent, .established, .finWait1, .finWait2, .timeWait])
        #expect(changes(\.responder) == [.listen, .synReceived, .established, .closeWait, .lastAck, .closed])
        let ss = try String(contentsOfFile: Captures.path("conn-graceful.ss.txt"), encoding: .utf8)
        #expect(ss.contains("FIN-WAIT-2"))
        #expect(ss.contains("CLOSE-WAIT"))
        #expect(ss.contains("TIME-WAIT"))
    }

    @Test("simultaneous open: both sides SYN-SENT → SYN-RECEIVED → ESTABLISHED")
    func simultaneousOpenStates() throws {
        // synscope's recording: connection 2 is the crossing pair (1 is the scenario's clock).
        let c = try #require(try Self.connections("run-simultaneous-open.pcapng").first { $0.id == 2 })
        func changes(_ pick: (ConnectionStates) -> TCPState) -> [TCPState] {
            var out: [TCPState] = []
            for s in c.segments.map({ pick($0.states) }) where out.last != s { out.append(s) }
            return out
        }
        #expect(Array(changes(\.originator).prefix(3)) == [.synSent, .synReceived, .established])
        #expect(changes(\.responder).contains(.synSent))
        #expect(changes(\.responder).contains(.synReceived))
        #expect(c.finalStates.originator == .timeWait)
    }

    /// The same 4-tuple carries two connections; the second SYN has a new ISN.
    @Test("TIME-WAIT port reuse starts a second connection", arguments: ["conn-timewait-reuse.pcap", "run-tw-reuse.pcapng"])
    func portReuse(_ name: String) throws {
        let all = try Self.connections(name)
        let pairs = Dictionary(grouping: all) { "\($0.originator)>\($0.responder)" }.values.filter { $0.count == 2 }
        #expect(!pairs.isEmpty, "\(name): no 4-tuple carries two connections")
        for pair in pairs {
            let (first, second) = (pair[0].id < pair[1].id) ? (pair[0], pair[1]) : (pair[1], pair[0])
            #expect(first.originatorISN != second.originatorISN)
            #expect(second.findingCounts[.reusedPorts] == 1)
            #expect(first.findingCounts[.reusedPorts] == nil)
        }
        #expect(all.allSatisfy { $0.handshake == .threeWay && $0.teardown == .graceful })
    }

    @Test("mid-stream capture: no handshake, originator guessed, states unknown until FIN")
    func midStream() throws {
        let c = try #require(try Self.connections("synthetic-midstream.pcap").first)
        #expect(c.handshake == .none)
        #expect(c.originatorIsGuess)
        // Zeek: both endpoints PARTIAL, then each FIN closes one: SF.
        #expect(c.connState == "SF")
        #expect(c.history == "DdAFf")
        #expect(c.segments.first?.states == ConnectionStates(originator: .unknown, responder: .unknown))
    }
}
