@testable import Analysis
import PacketWire
import TestSupport
import Testing

/// The analysis of each `captures/synthetic-*.pcap` (written by
/// tools/gen-synthetic-captures.py; the frame-by-frame story of each file is
/// in that script and in captures/README.md).
@Suite("synthetic captures")
struct SyntheticCaptureTests {
    /// The only connection of a synthetic capture.
    static func only(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> (Analysed, Connection) {
        let a = try Analysed(capture: name)
        try #require(a.connections.count == 1, "\(name) holds one connection", sourceLocation: sourceLocation)
        return (a, a.connections[0])
    }

    /// Every frame's Wireshark-style findings (odd-flag findings left out).
    static func wiresharkFindings(_ c: Connection) -> [Int: Set<Finding>] {
        var out: [Int: Set<Finding>] = [:]
        for s in c.segments {
            let set = Set(s.findings).intersection(TsharkFindingsTests.flags)
            if !set.isEmpty { out[s.segment.frame] = set }
        }
        return out
    }

    static func states(_ c: Connection) -> [String] {
        c.segments.map { "\($0.states.originator.name)/\($0.states.responder.name)" }
    }

    @Test("every synthetic capture is in captures/")
    func present() throws {
        let expected = ["keepalive", "midstream", "missing-segment", "odd-flags", "out-of-order",
                        "retransmission", "wraparound", "zero-window"].map { "synthetic-\($0).pcap" }
        for name in expected {
            #expect(Captures.names.contains(name), "\(name) is missing: run tools/gen-synthetic-captures.py")
        }
    }

    @Test("mid-stream: no handshake, originator guessed, states unknown until the FINs")
    func midstream() throws {
        let (_, c) = try Self.only("synthetic-midstream.pcap")
        #expect(c.handshake == .none)
        #expect(c.originatorIsGuess)
        #expect(c.originator.port == 40101 && c.responder.port == 47101, "the first sender is taken as the originator")
        #expect(c.originatorISN == nil && c.responderISN == nil)
        #expect(c.handshakeRTT == nil)
        #expect(c.teardown == .graceful)
        #expect(Self.states(c) == [
            "UNKNOWN/UNKNOWN", "UNKNOWN/UNKNOWN", "UNKNOWN/UNKNOWN",
            // A FIN shows what each side must have been in: a FIN sender goes to FIN-WAIT-1.
            "FIN-WAIT-1/CLOSE-WAIT", "TIME-WAIT/LAST-ACK", "TIME-WAIT/CLOSED",
        ])
        // Wireshark numbers the first segment of a direction without SYN as 1.
        #expect(c.segments.map(\.relativeSequence) == [1, 1, 51, 51, 81, 52])
        #expect(c.segments.map(\.relativeAcknowledgment) == [1, 51, 81, 81, 52, 82])
        #expect(Self.wiresharkFindings(c).isEmpty)
        // Zeek: both endpoints PARTIAL (history D d A), then each FIN closes a
        // PARTIAL endpoint too (UpdateEstablishedState), so the full capture is SF.
        #expect(c.history == "DdAFf")
        #expect(c.connState == "SF")
    }

    @Test("mid-stream without the close: conn_state OTH")
    func midstreamBeforeTheFINs() throws {
        let segments = try Analysed.segments(atPath: Captures.path("synthetic-midstream.pcap"))
        let a = Analysed(segments: Array(segments.prefix(3)))
        try #require(a.connections.count == 1)
        let c = a.connections[0]
        #expect(c.connState == "OTH", "both endpoints PARTIAL: Zeek's OTH")
        #expect(c.history == "DdA")
        #expect(c.handshake == .none && c.teardown == .open)
        #expect(c.finalStates == ConnectionStates(originator: .unknown, responder: .unknown))
    }

    @Test("missing segment: previous segment not captured, then ACKed unseen segment")
    func missingSegment() throws {
        let (_, c) = try Self.only("synthetic-missing-segment.pcap")
        #expect(c.handshake == .threeWay && c.teardown == .graceful && c.connState == "SF")
        #expect(Self.wiresharkFindings(c) == [6: [.lostSegment], 7: [.ackedUnseenSegment]])
        #expect(c.segments.first { $0.segment.frame == 6 }?.relativeSequence == 201)
        #expect(c.segments.first { $0.segment.frame == 7 }?.relativeAcknowledgment == 301)
        // Only the captured bytes are counted.
        #expect(c.originatorStats.payloadBytes == 200)
        #expect(c.findingCounts[.lostSegment] == 1 && c.findingCounts[.ackedUnseenSegment] == 1)
    }

    @Test("out-of-order: the later segment first, the earlier one 1 ms after, within the 10 ms RTT")
    func outOfOrder() throws {
        let (_, c) = try Self.only("synthetic-out-of-order.pcap")
        #expect(c.handshakeRTT == 10_000_000)
        #expect(Self.wiresharkFindings(c) == [4: [.lostSegment], 5: [.outOfOrder]])
        #expect(c.originatorStats.retransmissions == 0)
        // Zeek counts any payload that does not advance the highest sequence number as 'T'.
        #expect(c.history == "ShADTaFf")
        #expect(c.connState == "SF")
    }

    @Test("retransmission: timeout, fast and spurious")
    func retransmission() throws {
        let (_, c) = try Self.only("synthetic-retransmission.pcap")
        #expect(Self.wiresharkFindings(c) == [
            5: [.retransmission],
            11: [.duplicateACK], 12: [.duplicateACK], 13: [.duplicateACK],
            14: [.retransmission, .fastRetransmission],
            16: [.retransmission, .spuriousRetransmission],
            17: [.duplicateACK],
        ])
        #expect(c.originatorStats.retransmissions == 3)
        #expect(c.originatorStats.payloadBytes == 500, "retransmitted bytes are not counted twice")
        #expect(c.findingCounts[.duplicateACK] == 4)
        #expect(c.teardown == .graceful && c.connState == "SF")
    }

    @Test("zero window: window full, zero window, probes, probe ACKs, window update")
    func zeroWindow() throws {
        let (_, c) = try Self.only("synthetic-zero-window.pcap")
        #expect(Self.wiresharkFindings(c) == [
            5: [.windowFull],
            6: [.zeroWindow],
            7: [.zeroWindowProbe],
            8: [.zeroWindow, .zeroWindowProbeACK],
            9: [.zeroWindowProbe],
            10: [.zeroWindow, .zeroWindowProbeACK],
            11: [.windowUpdate],
        ])
        // A probe does not advance nextseq: the data after the window update,
        // starting with the probed byte, is new data, not a retransmission.
        #expect(c.segments.first { $0.segment.frame == 12 }?.relativeSequence == 401)
        #expect(c.originatorStats.retransmissions == 0)
        #expect(c.history.contains("w"), "Zeek's zero-window letter for the responder")
        #expect(c.connState == "SF")
    }

    @Test("keep-alive: seq = nextseq - 1 with 0 and 1 byte, and their ACKs")
    func keepAlive() throws {
        let (_, c) = try Self.only("synthetic-keepalive.pcap")
        #expect(Self.wiresharkFindings(c) == [
            6: [.keepAlive], 7: [.keepAliveACK], 8: [.keepAlive], 9: [.keepAliveACK],
        ])
        #expect(c.segments.filter { $0.findings.contains(.keepAlive) }.map(\.relativeSequence) == [20, 20])
        #expect(c.originatorStats.payloadBytes == 20, "the keep-alive's garbage byte is not payload")
        #expect(c.originatorStats.retransmissions == 0)
        let established = ConnectionStates(originator: .established, responder: .established)
        #expect(c.segments[2...8].allSatisfy { $0.states == established }, "keep-alives do not change the states")
        #expect(c.teardown == .graceful)
    }

    @Test("wraparound: sequence numbers pass 2^32 in both directions")
    func wraparound() throws {
        let (_, c) = try Self.only("synthetic-wraparound.pcap")
        #expect(c.originatorISN == SequenceNumber(0xFFFF_FF00))
        #expect(c.responderISN == SequenceNumber(0xFFFF_FFF0))
        let raw = c.segments.map(\.segment.sequence.rawValue)
        #expect(raw[6] == 0xFFFF_FFC9 && raw[7] == 0x0000_002D, "frames 7 and 8 straddle the wrap")
        #expect(c.segments.map(\.relativeSequence) == [0, 0, 1, 1, 101, 1, 201, 301, 1, 401, 401, 51, 402])
        #expect(c.segments.map(\.relativeAcknowledgment) == [nil, 1, 1, 1, 1, 201, 1, 1, 401, 51, 51, 402, 52])
        #expect(Self.wiresharkFindings(c).isEmpty, "the wrap is neither a hole nor a retransmission")
        #expect(c.originatorStats.payloadBytes == 400 && c.responderStats.payloadBytes == 50)
        #expect(c.handshake == .threeWay && c.teardown == .graceful)
        #expect(c.connState == "SF" && c.history == "ShADadFf")
        #expect(c.finalStates == ConnectionStates(originator: .timeWait, responder: .closed))
    }

    @Test("odd flags: no flags, SYN+FIN, SYN+RST, FIN+RST")
    func oddFlags() throws {
        let (_, c) = try Self.only("synthetic-odd-flags.pcap")
        var odd: [Int: Set<Finding>] = [:]
        for s in c.segments {
            let set = Set(s.findings).intersection([.noFlags, .synFin, .synRst, .finRst, .ackNonzeroWithoutACK])
            if !set.isEmpty { odd[s.segment.frame] = set }
        }
        #expect(odd == [6: [.noFlags], 7: [.synFin], 9: [.synRst], 10: [.finRst]])
        // The SYN+FIN and SYN+RST repeat the client's ISN: same connection,
        // retransmissions (as tshark says); the server's challenge ACK is a dup ACK.
        #expect(Self.wiresharkFindings(c) == [7: [.retransmission], 8: [.duplicateACK], 9: [.retransmission]])
        #expect(c.segments[5].relativeAcknowledgment == nil, "no ACK flag, no relative ack")
        // Zeek: 'Q' for the first multi-flag segment (SYN+FIN), 'I' for FIN+RST;
        // SYN+FIN closes the originator, its SYN+RST then resets it: RSTO.
        #expect(c.history == "ShADaQI")
        #expect(c.connState == "RSTO")
        #expect(c.finalStates == ConnectionStates(originator: .closed, responder: .closed))
    }

    @Test("odd flags: a SYN+FIN in ESTABLISHED is dropped by its receiver (RFC 9293 §3.10.7.4)")
    func oddFlagsReceiverIgnoresSYNFIN() throws {
        let (_, c) = try Self.only("synthetic-odd-flags.pcap")
        // Frame 7 carries SYN: the server, ESTABLISHED, must answer with a
        // challenge ACK (frame 8) and drop the segment, FIN and all, so it
        // stays ESTABLISHED; the no-flags frame 6 (no ACK bit) is dropped too.
        #expect(c.segments[5].states.responder == .established)
        #expect(c.segments[6].states.responder == .established)
        #expect(c.segments[7].states.responder == .established)
    }
}
