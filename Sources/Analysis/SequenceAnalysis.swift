import PacketWire
import TraceModel

/// What one direction of a connection has sent so far, as Wireshark's
/// `tcp_analyze_seq_info_t` keeps it.
struct DirectionSequenceState: Hashable, Sendable {
    /// Sequence number after the highest byte sent (0 when nothing yet).
    var nextSequence: SequenceNumber?
    /// The highest sequence number this direction must see acknowledged.
    var maxSequenceToBeAcked: SequenceNumber?
    /// The last acknowledgment number this direction sent.
    var lastAck: SequenceNumber?
    /// The last window this direction advertised, unscaled.
    var window: UInt16?
    /// Window scale shift from this direction's SYN, when both sides sent one.
    var windowScale: UInt8?
    /// Findings of the last segment sent this way (for keep-alive ACK and ZWP ACK).
    var lastFindings = Findings()
    /// Duplicate ACKs in a row.
    var duplicateACKs = 0
    var lastSegmentTime: Timestamp?
    var lastDuplicateACKTime: Timestamp?
}

/// Wireshark's per-segment TCP analysis (packet-tcp.c
/// `tcp_analyze_sequence_number`), in the order Wireshark tests each flag.
enum SequenceAnalysis {
    /// Out-of-order threshold when no RTT is known (Wireshark's 3 ms default).
    static let outOfOrderThreshold: Int64 = 3_000_000
    /// Fast retransmission: within 20 ms of the duplicate ACKs.
    static let fastRetransmissionWindow: Int64 = 20_000_000

    static func analyze(_ s: TCPSegment, forward fwd: inout DirectionSequenceState,
                        reverse rev: inout DirectionSequenceState, handshakeRTT: Int64?) -> Findings {
        var f = Findings()
        let seglen = UInt32(truncatingIfNeeded: s.payloadLength)
        let synFinRst = s.flags.contains(.syn) || s.flags.contains(.fin) || s.flags.contains(.rst)
        let window = s.window

        flagFindings(s, into: &f)

        var skipToFinished = false
        // ZERO WINDOW PROBE: one byte at nextseq while the peer's window is zero.
        if seglen == 1, let next = fwd.nextSequence, s.sequence == next, rev.window == 0 {
            f.insert(.zeroWindowProbe)
            skipToFinished = true
        }
        if !skipToFinished {
            // ZERO WINDOW
            if window == 0 && !synFinRst { f.insert(.zeroWindow) }
            // LOST PACKET: a gap before this segment.
            if let next = fwd.nextSequence, s.sequence.isAfter(next), !s.flags.contains(.rst) {
                f.insert(.lostSegment)
            }
            // KEEP ALIVE: zero or one byte at nextseq - 1.
            if seglen <= 1, !synFinRst, let next = fwd.nextSequence, s.sequence == next - 1 {
                f.insert(.keepAlive)
                skipToFinished = true
            }
        }
        if !skipToFinished {
            let atNext = fwd.nextSequence.map { s.sequence == $0 } ?? false
            let sameAck = fwd.lastAck.map { s.acknowledgment == $0 } ?? false
            // WINDOW UPDATE
            if seglen == 0, window != 0, fwd.window != nil, window != fwd.window, atNext, sameAck, !synFinRst {
                f.insert(.windowUpdate)
            }
            // WINDOW FULL: the segment fills the peer's advertised window.
            if seglen > 0, !synFinRst, let ack = rev.lastAck, let w = rev.window {
                let scaled = UInt32(w) << UInt32(rev.windowScale ?? 0)
                if s.sequence + seglen == ack + scaled { f.insert(.windowFull) }
            }
            // KEEP ALIVE ACK
            if seglen == 0, window == fwd.window, atNext, sameAck, !synFinRst, rev.lastFindings.contains(.keepAlive) {
                f.insert(.keepAliveACK)
                skipToFinished = true
            }
        }
        if !skipToFinished {
            let atNext = fwd.nextSequence.map { s.sequence == $0 } ?? false
            let sameAck = fwd.lastAck.map { s.acknowledgment == $0 } ?? false
            // ZERO WINDOW PROBE ACK
            if seglen == 0, window == 0, window == fwd.window, atNext, sameAck, !synFinRst,
               rev.lastFindings.contains(.zeroWindowProbe) {
                f.insert(.zeroWindowProbeACK)
                skipToFinished = true
            }
        }
        if !skipToFinished {
            let atNext = fwd.nextSequence.map { s.sequence == $0 } ?? false
            let sameAck = fwd.lastAck.map { s.acknowledgment == $0 } ?? false
            // DUPLICATE ACK
            if seglen == 0, window != 0, window == fwd.window, atNext, sameAck, !synFinRst, s.hasACK {
                f.insert(.duplicateACK)
                fwd.duplicateACKs += 1
                fwd.lastDuplicateACKTime = s.time
            }
        }
        if !f.contains(.duplicateACK) { fwd.duplicateACKs = 0 }

        // ACKED UNSEEN SEGMENT: acknowledges beyond anything the peer was seen to send.
        if s.hasACK, let peerMax = rev.maxSequenceToBeAcked, s.acknowledgment.isAfter(peerMax) {
            f.insert(.ackedUnseenSegment)
        }

        // RETRANSMISSION family: data (or SYN/FIN) that does not advance nextseq.
        if (seglen > 0 || s.isSYN || s.isFIN), !f.contains(.keepAlive), !f.contains(.zeroWindowProbe),
           let next = fwd.nextSequence, s.sequence.isBefore(next) {
            let sinceLast: Int64 = fwd.lastSegmentTime.map { s.time.nanoseconds - $0.nanoseconds } ?? Int64.max
            let threshold = handshakeRTT ?? outOfOrderThreshold
            if rev.duplicateACKs >= 2, rev.lastAck == s.sequence,
               let t = rev.lastDuplicateACKTime, s.time.nanoseconds - t.nanoseconds < fastRetransmissionWindow {
                f.insert(.fastRetransmission)
                f.insert(.retransmission)
            } else if sinceLast < threshold, s.nextSequence != next {
                f.insert(.outOfOrder)
            } else if let ack = rev.lastAck, !ack.isBefore(s.nextSequence), seglen > 0 {
                f.insert(.spuriousRetransmission)
                f.insert(.retransmission)
            } else {
                f.insert(.retransmission)
            }
        }

        // Update this direction's state.
        if fwd.nextSequence == nil || s.nextSequence.isAfter(fwd.nextSequence!) || s.isSYN {
            if !s.flags.contains(.rst) || fwd.nextSequence == nil { fwd.nextSequence = s.nextSequence }
        }
        if fwd.maxSequenceToBeAcked == nil || s.nextSequence.isAfter(fwd.maxSequenceToBeAcked!) {
            fwd.maxSequenceToBeAcked = s.nextSequence
        }
        if s.hasACK { fwd.lastAck = s.acknowledgment }
        fwd.window = window
        fwd.lastFindings = f
        fwd.lastSegmentTime = s.time
        return f
    }

    /// Odd flag combinations and headers.
    static func flagFindings(_ s: TCPSegment, into f: inout Findings) {
        let flags = s.flags
        if flags.contains(.syn) && flags.contains(.fin) { f.insert(.synFin) }
        if flags.contains(.syn) && flags.contains(.rst) { f.insert(.synRst) }
        if flags.contains(.fin) && flags.contains(.rst) { f.insert(.finRst) }
        if flags.rawValue & 0x1ff == 0 { f.insert(.noFlags) }
        if !flags.contains(.ack) && s.acknowledgment.rawValue != 0 { f.insert(.ackNonzeroWithoutACK) }
        if let p = s.headerProblem {
            f.insert(p.layer == .tcpOption ? .badOption : .badHeaderLength)
        }
        if s.isTruncated { f.insert(.truncated) }
    }
}
