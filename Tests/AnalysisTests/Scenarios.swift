@testable import Analysis
import PacketWire
import TestSupport
import Testing

/// Hand-built connections for edge cases of Wireshark's analysis that the
/// committed captures do not hold. `TsharkFindingsTests` writes each one to
/// a temporary pcap, runs tshark on it, and compares tshark's flags with
/// synscope's findings on the very same segments, exactly as for the
/// captures. Client 127.0.0.1:40000 (ISN 1000), server 127.0.0.1:8080
/// (ISN 5000) unless a scenario says otherwise.
struct Scenario: Sendable, CustomTestStringConvertible {
    var name: String
    var segments: [TCPSegment]
    var testDescription: String { name }

    /// The label the exception lists use for this scenario.
    var label: String { "scenario:\(name)" }

    static let all: [Scenario] = [
        synRetransmittedWithin3ms, holeFilledAfterPureACKJump, duplicateSegmentWithinRTT,
        twoDuplicateACKsThenFastRetransmission, spuriousFINWithData, rstJumpIsNotLostSegment,
        ackBeyondAnythingSentTwice, zeroWindowProbeAccepted, synACKWithNewISN, sameISNSYNAfterClose,
        windowScaleSYNACKWindow, windowScaleAfterPureACK, midstreamWindowEdge,
    ]

    /// SYN, SYN-ACK, ACK at 0, rtt/2, rtt ms; both SYNs may carry a window scale.
    static func handshake(_ w: inout Wire, rtt: Double = 10, windowScale: UInt8? = nil,
                          clientWindow: UInt16 = 65535, serverWindow: UInt16 = 65535) -> [TCPSegment] {
        [w.segment(.client, .syn, seq: 1000, window: clientWindow, windowScale: windowScale, at: 0),
         w.segment(.server, .synACK, seq: 5000, ack: 1001, window: serverWindow, windowScale: windowScale, at: rtt / 2),
         w.segment(.client, .ack, seq: 1001, ack: 5001, window: clientWindow, at: rtt)]
    }

    /// A SYN retransmitted 1 ms after the first, before any RTT is known
    /// (threshold 3 ms). tshark 4.0.17: frame 2 is a retransmission.
    static var synRetransmittedWithin3ms: Scenario {
        var w = Wire()
        return Scenario(name: "syn-retransmitted-within-3ms", segments: [
            w.segment(.client, .syn, seq: 1000, at: 0),
            w.segment(.client, .syn, seq: 1000, at: 1),
        ])
    }

    /// A pure ACK jumps nextseq over a hole (lost segment); the hole's
    /// segment then arrives twice within the 10 ms RTT, ending exactly at
    /// nextseq. tshark 4.0.17: frames 6 and 7 are retransmissions (the
    /// issue-17214 out-of-order path of later Wireshark is not in 4.0.17).
    static var holeFilledAfterPureACKJump: Scenario {
        var w = Wire()
        return Scenario(name: "hole-filled-after-pure-ack-jump", segments: handshake(&w) + [
            w.segment(.client, .pshACK, seq: 1001, ack: 5001, len: 100, at: 20),
            w.segment(.client, .ack, seq: 1201, ack: 5001, at: 21),
            w.segment(.client, .pshACK, seq: 1101, ack: 5001, len: 100, at: 22),
            w.segment(.client, .pshACK, seq: 1101, ack: 5001, len: 100, at: 22.5),
        ])
    }

    /// The last data segment again 1 ms later, within the 10 ms RTT: a
    /// retransmission, not out-of-order (nextseq == seq + len).
    static var duplicateSegmentWithinRTT: Scenario {
        var w = Wire()
        return Scenario(name: "duplicate-segment-within-rtt", segments: handshake(&w) + [
            w.segment(.client, .pshACK, seq: 1001, ack: 5001, len: 100, at: 20),
            w.segment(.client, .pshACK, seq: 1001, ack: 5001, len: 100, at: 21),
        ])
    }

    /// Two duplicate ACKs (Wireshark needs >= 2, not 3) then the missing
    /// segment within 20 ms: fast retransmission.
    static var twoDuplicateACKsThenFastRetransmission: Scenario {
        var w = Wire()
        return Scenario(name: "two-dup-acks-then-fast-retransmission", segments: handshake(&w) + [
            w.segment(.client, .pshACK, seq: 1001, ack: 5001, len: 100, at: 20),
            w.segment(.client, .pshACK, seq: 1101, ack: 5001, len: 100, at: 20.1),
            w.segment(.client, .pshACK, seq: 1201, ack: 5001, len: 100, at: 20.2),
            w.segment(.server, .ack, seq: 5001, ack: 1101, at: 21),
            w.segment(.server, .ack, seq: 5001, ack: 1101, at: 21.1),
            w.segment(.server, .ack, seq: 5001, ack: 1101, at: 21.2),
            w.segment(.client, .pshACK, seq: 1101, ack: 5001, len: 100, at: 22),
        ])
    }

    /// FIN with data, ACKed, then sent again: spurious retransmission.
    static var spuriousFINWithData: Scenario {
        var w = Wire()
        return Scenario(name: "spurious-fin-with-data", segments: handshake(&w) + [
            w.segment(.client, [.fin, .psh, .ack], seq: 1001, ack: 5001, len: 50, at: 20),
            w.segment(.server, .ack, seq: 5001, ack: 1052, at: 21),
            w.segment(.client, [.fin, .psh, .ack], seq: 1001, ack: 5001, len: 50, at: 300),
        ])
    }

    /// A RST far ahead of nextseq is not "previous segment not captured".
    static var rstJumpIsNotLostSegment: Scenario {
        var w = Wire()
        return Scenario(name: "rst-jump-is-not-lost-segment", segments: handshake(&w) + [
            w.segment(.client, .rst, seq: 99_999, at: 20),
        ])
    }

    /// The server acknowledges far beyond anything the client sent, twice:
    /// only the first is "ACKed unseen segment" (the second is a dup ACK).
    static var ackBeyondAnythingSentTwice: Scenario {
        var w = Wire()
        return Scenario(name: "ack-beyond-anything-sent-twice", segments: handshake(&w) + [
            w.segment(.client, .pshACK, seq: 1001, ack: 5001, len: 100, at: 20),
            w.segment(.server, .ack, seq: 5001, ack: 3101, at: 21),
            w.segment(.server, .ack, seq: 5001, ack: 3101, at: 22),
        ])
    }

    /// The receiver accepts the probe byte (ack = lastack + 1, window still
    /// 0): 4.0.17 does not call that a zero-window probe ACK.
    static var zeroWindowProbeAccepted: Scenario {
        var w = Wire()
        return Scenario(name: "zero-window-probe-accepted", segments: handshake(&w) + [
            w.segment(.client, .pshACK, seq: 1001, ack: 5001, len: 100, at: 20),
            w.segment(.server, .ack, seq: 5001, ack: 1101, window: 0, at: 21),
            w.segment(.client, .ack, seq: 1101, ack: 5001, len: 1, at: 200),
            w.segment(.server, .ack, seq: 5001, ack: 1102, window: 0, at: 201),
        ])
    }

    /// A SYN-ACK with a new ISN on an established connection. tshark 4.0.17:
    /// reused_ports (and lost_segment), same stream.
    static var synACKWithNewISN: Scenario {
        var w = Wire()
        return Scenario(name: "synack-with-new-isn", segments: handshake(&w) + [
            w.segment(.client, .pshACK, seq: 1001, ack: 5001, len: 10, at: 20),
            w.segment(.server, .ack, seq: 5001, ack: 1011, at: 21),
            w.segment(.server, .synACK, seq: 90_000, ack: 1011, at: 500),
        ])
    }

    /// FIN, FIN, ACK, then 2 s later a SYN with the same ISN: tshark 4.0.17
    /// keeps the stream and calls it a retransmission, no reused_ports.
    static var sameISNSYNAfterClose: Scenario {
        var w = Wire()
        return Scenario(name: "same-isn-syn-after-close", segments: handshake(&w) + [
            w.segment(.client, .finACK, seq: 1001, ack: 5001, at: 20),
            w.segment(.server, .finACK, seq: 5001, ack: 1002, at: 21),
            w.segment(.client, .ack, seq: 1002, ack: 5002, at: 22),
            w.segment(.client, .syn, seq: 1000, at: 2022),
        ])
    }

    /// Both SYNs carry window scale 7; the SYN-ACK advertises 16 (never
    /// scaled, RFC 7323 §2.2). 16 bytes fill that window (tshark: window
    /// full on frame 4); 16 << 7 = 2048 bytes would not have fitted, so
    /// frame 5, ending at 2048, is no window-full for tshark.
    static var windowScaleSYNACKWindow: Scenario {
        var w = Wire()
        return Scenario(name: "window-scale-synack-window", segments: handshake(&w, windowScale: 7, serverWindow: 16) + [
            w.segment(.client, .pshACK, seq: 1001, ack: 5001, len: 16, at: 20),
            w.segment(.client, .pshACK, seq: 1017, ack: 5001, len: 2032, at: 20.1),
        ])
    }

    /// As above, but the server's pure ACK (window 16, scaled: 2048) comes
    /// first: 2048 bytes then fill the window exactly (frame 6).
    static var windowScaleAfterPureACK: Scenario {
        var w = Wire()
        return Scenario(name: "window-scale-after-pure-ack", segments: handshake(&w, windowScale: 7, serverWindow: 16) + [
            w.segment(.server, .ack, seq: 5001, ack: 1001, window: 16, at: 15),
            w.segment(.client, .pshACK, seq: 1001, ack: 5001, len: 1000, at: 20),
            w.segment(.client, .pshACK, seq: 2001, ack: 5001, len: 1048, at: 20.1),
        ])
    }

    /// No handshake: the window scale is unknown, so filling the advertised
    /// window exactly is not "window full".
    static var midstreamWindowEdge: Scenario {
        var w = Wire()
        return Scenario(name: "midstream-window-edge", segments: [
            w.segment(.server, .ack, seq: 5001, ack: 1001, window: 100, at: 0),
            w.segment(.client, .pshACK, seq: 1001, ack: 5001, len: 100, at: 1),
        ])
    }
}
