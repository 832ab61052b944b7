import PacketWire

/// Zeek's view of a TCP connection: each endpoint's analyzer state, the
/// `history` string, and the `conn_state` that
/// `scripts/base/protocols/conn/main.zeek` derives from them.
///
/// Follows `TCPSessionAdapter::Process` in Zeek's
/// `src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc`: history letters,
/// then zero window, then the retransmission test, then the endpoint state
/// machine. docs/research/zeek-conn.md quotes the code. Checksums are not
/// verified (loopback captures carry unfinished ones), so `C` never appears.
struct ZeekConnection: Hashable, Sendable {
    /// Zeek's `TCP_ENDPOINT_*` states.
    enum State: Hashable, Sendable {
        case inactive, synSent, synACKSent, partial, established, closed, reset
    }

    struct Endpoint: Hashable, Sendable {
        var state = State.inactive
        var previousState = State.inactive
        /// Payload bytes that advanced the sequence space (`c$orig$size` without gaps).
        var size = 0
        /// Highest sequence number one past a segment (`LastSeq`), once seen.
        var lastSeq: SequenceNumber?
        var lastSYN: SequenceNumber?
        var lastFIN: SequenceNumber?
        var lastRST: SequenceNumber?
        /// `hist_seen` bits for this direction.
        var seen: UInt16 = 0
        var retransmitCount: UInt32 = 0
        var retransmitThreshold: UInt32 = 1
        var zeroWindowCount: UInt32 = 0
        var zeroWindowThreshold: UInt32 = 1

        mutating func set(_ s: State) {
            previousState = state
            state = s
        }
    }

    private enum Mask {
        static let syn: UInt16 = 0x1, fin: UInt16 = 0x2, rst: UInt16 = 0x4, finRST: UInt16 = 0x8
        static let data: UInt16 = 0x10, ack: UInt16 = 0x20, multiFlag: UInt16 = 0x40
    }

    var originator = Endpoint()
    var responder = Endpoint()
    private var letters = ZeekHistory()

    /// Zeek's `history` string.
    var history: String { letters.string }

    mutating func observe(_ s: TCPSegment, isOriginator: Bool, findings: Findings) {
        if isOriginator {
            Self.process(s, endpoint: &originator, peer: &responder, isOriginator: true, history: &letters)
        } else {
            Self.process(s, endpoint: &responder, peer: &originator, isOriginator: false, history: &letters)
        }
    }

    private static func process(_ s: TCPSegment, endpoint e: inout Endpoint, peer: inout Endpoint,
                                isOriginator: Bool, history: inout ZeekHistory) {
        updateHistory(s, endpoint: &e, isOriginator: isOriginator, history: &history)
        // update_window(): zero windows, except with or after a RST or after the peer's FIN.
        if s.window == 0, !s.flags.contains(.rst), peer.state != .closed, e.state != .reset {
            scaled(UInt8(ascii: "W"), &e.zeroWindowCount, &e.zeroWindowThreshold, isOriginator: isOriginator, history: &history)
        }
        updateLastSeq(s, endpoint: &e, isOriginator: isOriginator, history: &history)
        updateStateMachine(s, endpoint: &e, peer: &peer, isOriginator: isOriginator, history: &history)
    }

    /// The originator's letters are upper case, the responder's lower case (all are ASCII letters).
    @inline(__always)
    private static func add(_ letter: UInt8, isOriginator: Bool, history: inout ZeekHistory) {
        history.append(isOriginator ? letter : letter | 0x20)
    }

    /// `CheckHistory`: appends the letter the first time; true if already seen.
    @inline(__always)
    private static func check(_ mask: UInt16, _ letter: UInt8, endpoint e: inout Endpoint, isOriginator: Bool, history: inout ZeekHistory) -> Bool {
        if e.seen & mask == 0 {
            e.seen |= mask
            add(letter, isOriginator: isOriginator, history: &history)
            return false
        }
        return true
    }

    /// A letter repeated at 1, 10, 100… occurrences (Zeek's `ScaledHistoryEntry`).
    @inline(__always)
    private static func scaled(_ letter: UInt8, _ count: inout UInt32, _ threshold: inout UInt32, isOriginator: Bool, history: inout ZeekHistory) {
        count += 1
        if count == threshold {
            add(letter, isOriginator: isOriginator, history: &history)
            let next = threshold &* 10
            if next <= threshold { count = 0 } else { threshold = next }
        }
    }

    /// `update_history()`: the letters for the segment's flags and payload.
    @inline(__always)
    private static func updateHistory(_ s: TCPSegment, endpoint e: inout Endpoint, isOriginator o: Bool, history h: inout ZeekHistory) {
        let f = s.flags
        let len = s.payloadLength
        let bits = (f.contains(.syn) ? 1 : 0) + (f.contains(.fin) ? 1 : 0) + (f.contains(.rst) ? 1 : 0)
        if bits > 1 {
            if f.contains(.fin) && f.contains(.rst) {
                _ = check(Mask.finRST, UInt8(ascii: "I"), endpoint: &e, isOriginator: o, history: &h)
            } else {
                _ = check(Mask.multiFlag, UInt8(ascii: "Q"), endpoint: &e, isOriginator: o, history: &h)
            }
        } else if bits == 1 {
            if f.contains(.syn) {
                let code = f.contains(.ack) ? UInt8(ascii: "H") : UInt8(ascii: "S")
                if check(Mask.syn, code, endpoint: &e, isOriginator: o, history: &h), s.sequence != e.lastSYN { add(code, isOriginator: o, history: &h) }
                e.lastSYN = s.sequence
            }
            if f.contains(.fin) {
                let finSeq = s.sequence + UInt32(truncatingIfNeeded: len)
                if check(Mask.fin, UInt8(ascii: "F"), endpoint: &e, isOriginator: o, history: &h), finSeq != e.lastFIN {
                    add(UInt8(ascii: "F"), isOriginator: o, history: &h)
                }
                e.lastFIN = finSeq
            }
            if f.contains(.rst) {
                if check(Mask.rst, UInt8(ascii: "R"), endpoint: &e, isOriginator: o, history: &h), s.sequence != e.lastRST {
                    add(UInt8(ascii: "R"), isOriginator: o, history: &h)
                }
                e.lastRST = s.sequence
            }
        } else if len > 0 {
            _ = check(Mask.data, UInt8(ascii: "D"), endpoint: &e, isOriginator: o, history: &h)
        } else if f.contains(.ack) {
            _ = check(Mask.ack, UInt8(ascii: "A"), endpoint: &e, isOriginator: o, history: &h)
        }
    }

    /// `update_last_seq()`: payload that does not advance the highest end seen is a retransmission.
    @inline(__always)
    private static func updateLastSeq(_ s: TCPSegment, endpoint e: inout Endpoint, isOriginator: Bool, history: inout ZeekHistory) {
        let f = s.flags
        let len = s.payloadLength
        let end = s.nextSequence
        guard let last = e.lastSeq else {
            e.lastSeq = end
            e.size += len
            return
        }
        let delta = end.signedDistance(from: last)
        let tooLarge: Int32 = 1_048_576
        if (f.contains(.syn) || f.contains(.rst)) && (delta > tooLarge || delta < -tooLarge) {
            // untrusted
        } else if e.state == .reset {
            // don't trust sequence numbers after a RST
        } else if delta > 0 {
            if len > 0 { e.size += Int(min(UInt32(len), UInt32(delta))) }
            e.lastSeq = end
        } else if len > 0 {
            scaled(UInt8(ascii: "T"), &e.retransmitCount, &e.retransmitThreshold, isOriginator: isOriginator, history: &history)
        }
    }

    /// `UpdateStateMachine` and the per-state functions it calls.
    private static func updateStateMachine(_ s: TCPSegment, endpoint e: inout Endpoint, peer: inout Endpoint,
                                           isOriginator: Bool, history: inout ZeekHistory) {
        let f = s.flags
        switch e.state {
        case .inactive:
            if f.contains(.syn) {
                if isOriginator {
                    e.set(f.contains(.ack) ? .synACKSent : .synSent)
                } else {
                    if !f.contains(.ack), peer.state == .synACKSent {
                        // SYN/SYN-ACK reversal: Zeek flips the roles (FlipRoles appends '^').
                        history.append(UInt8(ascii: "^"))
                        peer.set(.established)
                    }
                    if peer.state == .synSent { peer.set(.established) }
                    e.set(.established)
                }
            }
            if f.contains(.fin) { e.set(.closed) }
            if f.contains(.rst) { e.set(.reset) }
            if e.state == .inactive {
                if !isOriginator && s.payloadLength == 0 && peer.state == .synSent {
                    // An ACK of the SYN before the SYN-ACK: not a partial connection.
                } else if f.contains(.ack) && peer.state == .established {
                    e.set(.established)
                } else {
                    e.set(.partial)
                }
            }
        case .synSent, .synACKSent:
            if f.contains(.fin) { e.set(.closed) }
            if f.contains(.rst) { e.set(.reset) }
        case .established, .partial:
            if f.contains(.syn), e.state == .partial, peer.state == .inactive, !f.contains(.ack) {
                e.set(.synSent)
            }
            if f.contains(.fin), !f.contains(.rst) {
                e.set(.closed)
                if peer.state == .reset && peer.previousState == .closed { peer.set(.closed) }
            }
            if f.contains(.rst) { e.set(.reset) }
        case .closed:
            if f.contains(.rst), peer.state != .closed { e.set(.reset) }
        case .reset:
            break
        }
    }

    /// `conn_state` from main.zeek.
    var connState: String {
        let os = originator.state, rs = responder.state
        let oInactive = os == .inactive || os == .partial
        let rInactive = rs == .inactive || rs == .partial
        if rs == .reset {
            if os == .synSent || os == .synACKSent || (os == .reset && originator.size == 0 && responder.size == 0) {
                return "REJ"
            } else if oInactive {
                return "RSTRH"
            } else {
                return "RSTR"
            }
        } else if os == .reset {
            if rInactive {
                if Self.matchesRSTOS0(history) { return "RSTOS0" }
                return "OTH"
            }
            return "RSTO"
        } else if rs == .closed && os == .closed {
            return "SF"
        } else if os == .closed {
            return rInactive ? "SH" : "S2"
        } else if rs == .closed {
            return oInactive ? "SHR" : "S3"
        } else if os == .synSent && rs == .inactive {
            return "S0"
        } else if os == .established && rs == .established {
            return "S1"
        }
        return "OTH"
    }

    /// Whether `history` matches `/\^?S[^HAFGIQ]*R.*/` in full.
    static func matchesRSTOS0(_ history: String) -> Bool {
        var rest = Substring(history)
        if rest.first == "^" { rest = rest.dropFirst() }
        guard rest.first == "S" else { return false }
        rest = rest.dropFirst()
        while let c = rest.first, c != "R" {
            if "HAFGIQ".contains(c) { return false }
            rest = rest.dropFirst()
        }
        return rest.first == "R"
    }
}

/// Zeek's history letters, kept as ASCII bytes: the first 16 inline, so a
/// connection's history costs no allocation and no `Character` handling per
/// letter; the `String` is built once, when the connection is reported.
struct ZeekHistory: Hashable, Sendable {
    /// Letters 0-7 and 8-15, one byte each, the first in the lowest byte; unused bytes are 0.
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    private var more: [UInt8] = []
    private(set) var count = 0

    mutating func append(_ letter: UInt8) {
        switch count {
        case 0..<8: low |= UInt64(letter) << (8 * count)
        case 8..<16: high |= UInt64(letter) << (8 * (count - 8))
        default: more.append(letter)
        }
        count += 1
    }

    var string: String {
        String(unsafeUninitializedCapacity: count) { buffer in
            for i in 0..<min(count, 16) {
                buffer[i] = UInt8(truncatingIfNeeded: i < 8 ? low >> (8 * i) : high >> (8 * (i - 8)))
            }
            for (i, letter) in more.enumerated() { buffer[16 + i] = letter }
            return count
        }
    }
}
