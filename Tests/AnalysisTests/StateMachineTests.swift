@testable import Analysis
import PacketWire
import TestSupport
import Testing
import TraceModel

/// `EndpointStateMachine` (RFC 9293 states) and `ZeekConnection` (Zeek's
/// conn_state and history) on hand-built segments, alone and through the
/// connection tracker. Client 127.0.0.1:40000 (ISN 1000), server
/// 127.0.0.1:8080 (ISN 5000).
@Suite("endpoint states and Zeek conn_state")
struct StateMachineTests {
    /// Runs both endpoints' machines over `segments` (each seen as sent by
    /// one side and received by the other) and returns "client/server"
    /// after each segment.
    static func run(_ segments: [TCPSegment], client: TCPState = .closed, server: TCPState = .listen) -> [String] {
        var c = EndpointStateMachine(state: client)
        var s = EndpointStateMachine(state: server)
        var out: [String] = []
        for seg in segments {
            if seg.flow.source == Wire.client {
                c.send(seg)
                s.receive(seg)
            } else {
                s.send(seg)
                c.receive(seg)
            }
            out.append("\(c.state.name)/\(s.state.name)")
        }
        return out
    }

    /// Zeek's view of `segments`: (conn_state, history).
    static func zeek(_ segments: [TCPSegment]) -> (state: String, history: String) {
        var z = ZeekConnection()
        let originator = segments.first.map { $0.isSYNACK ? $0.flow.destination : $0.flow.source }
        for s in segments { z.observe(s, isOriginator: s.flow.source == originator, findings: Findings()) }
        return (z.connState, z.history)
    }

    static func trackerStates(_ c: Connection) -> [String] {
        c.segments.map { "\($0.states.originator.name)/\($0.states.responder.name)" }
    }

    /// SYN, SYN-ACK, ACK.
    static func handshake(_ w: inout Wire) -> [TCPSegment] {
        [w.segment(.client, .syn, seq: 1000), w.segment(.server, .synACK, seq: 5000, ack: 1001),
         w.segment(.client, .ack, seq: 1001, ack: 5001)]
    }

    static var gracefulSegments: [TCPSegment] {
        var w = Wire()
        return handshake(&w) + [
            w.segment(.client, .finACK, seq: 1001, ack: 5001),
            w.segment(.server, .ack, seq: 5001, ack: 1002),
            w.segment(.server, .finACK, seq: 5001, ack: 1002),
            w.segment(.client, .ack, seq: 1002, ack: 5002),
        ]
    }

    // MARK: Three-way handshake and graceful close

    @Test("three-way handshake and graceful close: RFC 9293 states after each segment")
    func gracefulMachines() {
        #expect(Self.run(Self.gracefulSegments) == [
            "SYN-SENT/LISTEN",           // SYN
            "ESTABLISHED/SYN-RECEIVED",  // SYN-ACK
            "ESTABLISHED/ESTABLISHED",   // ACK
            "FIN-WAIT-1/CLOSE-WAIT",     // client FIN
            "FIN-WAIT-2/CLOSE-WAIT",     // server ACKs it
            "TIME-WAIT/LAST-ACK",        // server FIN
            "TIME-WAIT/CLOSED",          // client ACKs it
        ])
    }

    @Test("three-way handshake and graceful close through the tracker")
    func gracefulTracker() throws {
        let a = Analysed(segments: Self.gracefulSegments)
        try #require(a.connections.count == 1)
        let c = a.connections[0]
        // Client SYN-SENT → ESTABLISHED → FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT;
        // server LISTEN → SYN-RECEIVED → ESTABLISHED → CLOSE-WAIT → LAST-ACK → CLOSED.
        #expect(Self.trackerStates(c) == Self.run(Self.gracefulSegments))
        #expect(c.handshake == .threeWay && c.teardown == .graceful)
        #expect(c.connState == "SF" && c.history == "ShAFaf")
        #expect(c.handshakeRTT == 2_000_000)
        #expect(!c.originatorIsGuess && c.originator == Wire.client)
        #expect(Self.zeek(Self.gracefulSegments) == ("SF", "ShAFaf"))
    }

    @Test("a FIN and the ACK of the peer's FIN in one segment: CLOSING, then TIME-WAIT")
    func simultaneousClose() {
        var w = Wire()
        let segments = Self.handshake(&w) + [
            w.segment(.client, .finACK, seq: 1001, ack: 5001),
            w.segment(.server, .finACK, seq: 5001, ack: 1001),  // crossed: does not ACK the client's FIN
            w.segment(.client, .ack, seq: 1002, ack: 5002),
            w.segment(.server, .ack, seq: 5002, ack: 1002),
        ]
        #expect(Self.run(segments).suffix(4) == [
            "FIN-WAIT-1/CLOSE-WAIT", "CLOSING/LAST-ACK", "CLOSING/CLOSED", "TIME-WAIT/CLOSED",
        ])
    }

    // MARK: Refused, unanswered, resets

    @Test("refused: SYN answered by RST-ACK is REJ, history Sr")
    func refused() throws {
        var w = Wire()
        let segments = [w.segment(.client, .syn, seq: 1000), w.segment(.server, .rstACK, seq: 0, ack: 1001)]
        #expect(Self.run(segments, server: .closed) == ["SYN-SENT/CLOSED", "CLOSED/CLOSED"])
        #expect(Self.zeek(segments) == ("REJ", "Sr"))
        let a = Analysed(segments: segments)
        try #require(a.connections.count == 1)
        let c = a.connections[0]
        #expect(c.handshake == .refused && c.teardown == .resetByResponder)
        #expect(c.connState == "REJ" && c.history == "Sr")
        // The RST shows that nothing listened: the server was CLOSED before it.
        #expect(Self.trackerStates(c) == ["SYN-SENT/CLOSED", "CLOSED/CLOSED"])
    }

    @Test("unanswered: SYN and its retransmissions only is S0, history S")
    func unanswered() throws {
        var w = Wire()
        let segments = [w.segment(.client, .syn, seq: 1000, at: 0), w.segment(.client, .syn, seq: 1000, at: 1000),
                        w.segment(.client, .syn, seq: 1000, at: 3000)]
        #expect(Self.zeek(segments) == ("S0", "S"))
        let a = Analysed(segments: segments)
        try #require(a.connections.count == 1, "retransmitted SYNs (same ISN) stay in one connection")
        let c = a.connections[0]
        #expect(c.handshake == .unanswered && c.teardown == .open)
        #expect(c.connState == "S0" && c.history == "S")
        #expect(c.segments.map { Set($0.findings) } == [[], [.retransmission], [.retransmission]])
        // Nothing came back: whether the server listened cannot be told.
        #expect(Self.trackerStates(c) == ["SYN-SENT/UNKNOWN", "SYN-SENT/UNKNOWN", "SYN-SENT/UNKNOWN"])
    }

    @Test("SYN then a RST from the originator, no answer: RSTOS0, history SR")
    func synThenOriginatorRST() throws {
        var w = Wire()
        let segments = [w.segment(.client, .syn, seq: 1000), w.segment(.client, .rst, seq: 1001)]
        #expect(Self.zeek(segments) == ("RSTOS0", "SR"))
        let a = Analysed(segments: segments)
        try #require(a.connections.count == 1)
        let c = a.connections[0]
        #expect(c.connState == "RSTOS0" && c.history == "SR")
        #expect(c.teardown == .resetByOriginator)
        #expect(c.handshake == .unanswered)
        #expect(c.finalStates.originator == .closed)
    }

    @Test("established, then a RST from the responder: RSTR")
    func responderResetAfterEstablished() throws {
        var w = Wire()
        let segments = Self.handshake(&w) + [
            w.segment(.client, .pshACK, seq: 1001, ack: 5001, len: 10),
            w.segment(.server, .rstACK, seq: 5001, ack: 1011),
        ]
        #expect(Self.run(segments).last == "CLOSED/CLOSED")
        #expect(Self.zeek(segments) == ("RSTR", "ShADr"))
        let a = Analysed(segments: segments)
        try #require(a.connections.count == 1)
        let c = a.connections[0]
        #expect(c.connState == "RSTR" && c.history == "ShADr")
        #expect(c.handshake == .threeWay && c.teardown == .resetByResponder)
        #expect(c.finalStates == ConnectionStates(originator: .closed, responder: .closed))
    }

    @Test("established, then a RST from the originator: RSTO")
    func originatorResetAfterEstablished() {
        var w = Wire()
        let segments = Self.handshake(&w) + [w.segment(.client, .rstACK, seq: 1001, ack: 5001)]
        #expect(Self.zeek(segments) == ("RSTO", "ShAR"))
    }

    @Test("RSTOS0's history pattern /^\\^?S[^HAFGIQ]*R.*/")
    func rstos0Pattern() {
        // The class is case-sensitive: only the originator's H A F G I Q exclude it.
        for h in ["SR", "^SR", "SdR", "STR", "SRr", "ShR", "SaR"] {
            #expect(ZeekConnection.matchesRSTOS0(h), "\(h)")
        }
        for h in ["SHR", "SAR", "R", "sR", "S", "DSR", "SFR", "SQR"] {
            #expect(!ZeekConnection.matchesRSTOS0(h), "\(h)")
        }
    }

    // MARK: Simultaneous open

    /// RFC 9293 §3.5 figure 8, as each endpoint processes it: send SYN,
    /// receive the peer's SYN, send SYN-ACK, receive the peer's SYN-ACK.
    @Test("simultaneous open, each endpoint's own view (RFC 9293 figure 8)")
    func simultaneousOpenEndpoint() {
        var w = Wire()
        let aSYN = w.segment(.client, .syn, seq: 100)
        let bSYN = w.segment(.server, .syn, seq: 300)
        let aSYNACK = w.segment(.client, .synACK, seq: 100, ack: 301)
        let bSYNACK = w.segment(.server, .synACK, seq: 300, ack: 101)
        var a = EndpointStateMachine(state: .closed)
        var b = EndpointStateMachine(state: .closed)
        var aStates: [TCPState] = [], bStates: [TCPState] = []
        a.send(aSYN); aStates.append(a.state)
        a.receive(bSYN); aStates.append(a.state)
        a.send(aSYNACK); aStates.append(a.state)
        a.receive(bSYNACK); aStates.append(a.state)
        b.send(bSYN); bStates.append(b.state)
        b.receive(aSYN); bStates.append(b.state)
        b.send(bSYNACK); bStates.append(b.state)
        b.receive(aSYNACK); bStates.append(b.state)
        let expected: [TCPState] = [.synSent, .synReceived, .synReceived, .established]
        #expect(aStates == expected)
        #expect(bStates == expected)
    }

    @Test("simultaneous open through the tracker: one connection, both ESTABLISHED, S1")
    func simultaneousOpenTracker() throws {
        var w = Wire()
        let segments = [
            w.segment(.client, .syn, seq: 100),
            w.segment(.server, .syn, seq: 300),
            w.segment(.client, .synACK, seq: 100, ack: 301),
            w.segment(.server, .synACK, seq: 300, ack: 101),
            w.segment(.client, .ack, seq: 101, ack: 301),
            w.segment(.server, .ack, seq: 301, ack: 101),
        ]
        let a = Analysed(segments: segments)
        try #require(a.connections.count == 1, "the crossing SYN belongs to the same connection")
        let c = a.connections[0]
        #expect(c.handshake == .simultaneousOpen)
        #expect(c.originator == Wire.client, "the first SYN's sender is the originator")
        #expect(c.finalStates == ConnectionStates(originator: .established, responder: .established))
        #expect(c.segments.allSatisfy { !$0.findings.contains(.reusedPorts) })
        // Zeek: the responder's SYN moves both endpoints to ESTABLISHED; the
        // SYN-ACKs repeat each side's ISN, so they add no letter.
        #expect(c.connState == "S1")
        #expect(c.history.hasPrefix("Ss"))
    }

    // MARK: Port reuse

    /// A full connection, then `gap` ms later a bare SYN with a new ISN on the same 4-tuple.
    static func reuseSegments(gap: Double, isn: UInt32 = 9000, otherTrafficInBetween: Bool = false) -> [TCPSegment] {
        var w = Wire()
        var segments = gracefulSegments
        w.frame = segments.count
        w.clock = segments.last!.time.nanoseconds - Wire.start
        let end = Double(w.clock) / 1_000_000
        if otherTrafficInBetween {
            // A segment of another connection, late enough to let the tracker emit the first one.
            var s = w.segment(.client, .syn, seq: 777, at: end + gap / 2)
            s.flow = DirectedFlow(SocketAddress(.v4(.loopback), 40001), Wire.server)
            segments.append(s)
        }
        segments.append(w.segment(.client, .syn, seq: isn, at: end + gap))
        segments.append(w.segment(.server, .synACK, seq: 7000, ack: isn + 1))
        segments.append(w.segment(.client, .ack, seq: isn + 1, ack: 7001))
        return segments
    }

    @Test("port reuse: a new SYN with a new ISN after the close is a second connection with reused_ports",
          arguments: [(2.0, false), (5000.0, false), (5000.0, true)])
    func portReuse(gap: Double, otherTraffic: Bool) throws {
        let a = Analysed(segments: Self.reuseSegments(gap: gap, otherTrafficInBetween: otherTraffic))
        let same = a.connections.filter { $0.originator == Wire.client && $0.responder == Wire.server }
        try #require(same.count == 2)
        let (first, second) = (same[0], same[1])
        #expect(first.id < second.id)
        #expect(first.findingCounts[.reusedPorts] == nil)
        #expect(first.teardown == .graceful && first.connState == "SF")
        #expect(second.findingCounts[.reusedPorts] == 1)
        #expect(second.segments.first.map { Set($0.findings) } == [.reusedPorts])
        #expect(second.originatorISN == SequenceNumber(9000))
        #expect(second.handshake == .threeWay)
        #expect(Self.trackerStates(second) == ["SYN-SENT/LISTEN", "ESTABLISHED/SYN-RECEIVED", "ESTABLISHED/ESTABLISHED"])
        #expect(second.segments.map(\.relativeSequence) == [0, 0, 1])
    }

    @Test("a SYN repeating the closed connection's ISN is a retransmission, not port reuse")
    func sameISNIsNotReuse() throws {
        var w = Wire()
        var segments = Self.gracefulSegments
        w.frame = segments.count
        w.clock = segments.last!.time.nanoseconds - Wire.start
        segments.append(w.segment(.client, .syn, seq: 1000))
        let a = Analysed(segments: segments)
        try #require(a.connections.count == 1)
        #expect(a.connections[0].findingCounts[.reusedPorts] == nil)
        #expect(a.connections[0].segments.last.map { Set($0.findings) } == [.retransmission])
    }

    // MARK: Segments a receiver must drop (RFC 9293 §3.10.7.4)

    @Test("an ESTABLISHED receiver drops a FIN without ACK (no ACK bit: drop the segment)")
    func finWithoutACKIsDropped() {
        var w = Wire()
        let segments = Self.handshake(&w) + [w.segment(.client, .fin, seq: 1001)]
        #expect(Self.run(segments).last?.hasSuffix("/ESTABLISHED") == true)
    }

    @Test("an ESTABLISHED receiver answers a SYN+FIN with a challenge ACK and drops it")
    func synFINInEstablishedIsDropped() {
        var w = Wire()
        let segments = Self.handshake(&w) + [w.segment(.client, [.syn, .fin], seq: 1000)]
        #expect(Self.run(segments).last?.hasSuffix("/ESTABLISHED") == true)
    }

    @Test("a SYN-SENT endpoint ignores a RST without ACK (RFC 9293 §3.10.7.3)")
    func synSentIgnoresRSTWithoutACK() {
        var w = Wire()
        // "If the RST bit is set: if the ACK was acceptable ... enter CLOSED;
        // otherwise (no ACK), drop the segment and return." Linux does the same
        // (tcp_rcv_synsent_state_process: a RST without ACK is discarded).
        let segments = [w.segment(.client, .syn, seq: 1000), w.segment(.server, .rst, seq: 0)]
        #expect(Self.run(segments, server: .closed).last?.hasPrefix("SYN-SENT/") == true)
        // With an acceptable ACK the RST does close it.
        var v = Wire()
        let refused = [v.segment(.client, .syn, seq: 1000), v.segment(.server, .rstACK, seq: 0, ack: 1001)]
        #expect(Self.run(refused, server: .closed).last == "CLOSED/CLOSED")
    }

    @Test("an ESTABLISHED receiver ignores a segment with no flags")
    func noFlagsIsIgnored() {
        var w = Wire()
        let segments = Self.handshake(&w) + [w.segment(.client, [], seq: 1001)]
        #expect(Self.run(segments).last == "ESTABLISHED/ESTABLISHED")
    }

    @Test("a history longer than the 16 letters kept inline keeps every letter, in order and case")
    func longHistory() {
        // Each SYN with a new ISN and each RST with a new sequence number adds its letter again.
        var w = Wire()
        var segments: [TCPSegment] = []
        for i in 0..<12 {
            segments.append(w.segment(.client, .syn, seq: 1000 + UInt32(i)))
            segments.append(w.segment(.server, .rstACK, seq: UInt32(i), ack: 1001 + UInt32(i)))
        }
        #expect(Self.zeek(segments).history == String(repeating: "Sr", count: 12))
        var h = ZeekHistory()
        let letters = Array("ShADadFfTtWwIiQqRr^SH".utf8)
        for l in letters { h.append(l) }
        #expect(h.string == "ShADadFfTtWwIiQqRr^SH" && h.count == letters.count)
    }
}
