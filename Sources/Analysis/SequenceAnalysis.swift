import PacketWire
import TraceModel

/// What one direction of a connection has sent so far: Wireshark's
/// `tcp_analyze_seq_info_t` plus the `tcp_flow_t` fields the analysis reads.
struct DirectionSequenceState: Hashable, Sendable {
    /// One past the highest sequence number sent (Wireshark's `nextseq`; nil = 0, unknown).
    var nextSequence: SequenceNumber?
    var nextSequenceTime: Timestamp?
    /// Highest contiguous sequence number to be acknowledged (`maxseqtobeacked`).
    var maxSequenceToBeAcked: SequenceNumber?
    /// The acknowledgment field of the last segment, whatever its flags (`lastack`).
    var lastAck: SequenceNumber?
    var lastAckTime: Timestamp?
    /// The last window advertised, unscaled.
    var window: UInt16?
    /// Window scale shift (`win_scale`): nil unknown, 0 when no scaling was negotiated.
    var windowScale: UInt8?
    /// Whether no ACK has been sent yet in this direction (`is_first_ack`).
    var isFirstACK = true
    /// Findings of the last segment sent this way (`lastsegmentflags`).
    var lastFindings = Findings()
    /// Duplicate ACKs in a row (`dupacknum`; -1 after an ACKed unseen segment).
    var duplicateACKs = 0
}

/// Wireshark's per-segment TCP analysis, `tcp_analyze_sequence_number()` in
/// epan/dissectors/packet-tcp.c (4.0), test by test in Wireshark's order.
/// docs/research/wireshark-tcp-analysis.md quotes the code.
enum SequenceAnalysis {
    /// Out-of-order threshold when no handshake RTT is known (3 ms).
    static let outOfOrderThreshold: Int64 = 3_000_000
    /// A fast retransmission comes within 20 ms of the duplicate ACKs.
    static let fastRetransmissionWindow: Int64 = 20_000_000

    static func analyze(_ s: TCPSegment, forward fwd: inout DirectionSequenceState,
                        reverse rev: inout DirectionSequenceState, handshakeRTT: Int64?) -> Findings {
        var f = Findings()
        let seglen = UInt32(truncatingIfNeeded: s.payloadLength)
        let seq = s.sequence, ack = s.acknowledgment, window = s.window
        let synFinRst = s.isSYN || s.isFIN || s.isRST
        flagFindings(s, into: &f)

        let atNext = fwd.nextSequence.map { seq == $0 } ?? false
        let sameAck = fwd.lastAck.map { ack == $0 } ?? false
        forward: do {
            // ZERO WINDOW PROBE: exactly one byte at nextseq while the peer's window is zero.
            if seglen == 1, atNext, rev.window == 0 {
                f.insert(.zeroWindowProbe)
                break forward
            }
            // ZERO WINDOW
            if window == 0, !synFinRst { f.insert(.zeroWindow) }
            // LOST PACKET: a hole before this segment.
            if let next = fwd.nextSequence, seq.isAfter(next), !s.isRST { f.insert(.lostSegment) }
            // KEEP ALIVE: zero or one byte at nextseq - 1.
            if seglen <= 1, let next = fwd.nextSequence, seq == next - 1, !synFinRst { f.insert(.keepAlive) }
            // WINDOW UPDATE
            if seglen == 0, window != 0, window != fwd.window, atNext, sameAck, !synFinRst { f.insert(.windowUpdate) }
            // WINDOW FULL: the segment ends exactly at the edge of the peer's window.
            if seglen > 0, let scale = rev.windowScale, let peerAck = rev.lastAck, let peerWindow = rev.window, !synFinRst {
                let shift = rev.isFirstACK ? 0 : UInt32(scale)
                if seq + seglen == peerAck + (UInt32(peerWindow) << shift) { f.insert(.windowFull) }
            }
            // KEEP ALIVE ACK
            if seglen == 0, window != 0, window == fwd.window, atNext, sameAck, !synFinRst,
               rev.lastFindings.contains(.keepAlive) {
                f.insert(.keepAliveACK)
                break forward
            }
            // ZERO WINDOW PROBE ACK
            if seglen == 0, window == 0, window == fwd.window, atNext, sameAck, !synFinRst,
               rev.lastFindings.contains(.zeroWindowProbe) {
                f.insert(.zeroWindowProbeACK)
                break forward
            }
            // DUPLICATE ACK
            if seglen == 0, window != 0, window == fwd.window, atNext, sameAck, !synFinRst {
                fwd.duplicateACKs = fwd.duplicateACKs == -1 ? 1 : fwd.duplicateACKs + 1
                f.insert(.duplicateACK)
            }
        }
        // finished_fwd: a new ack number resets the duplicate count.
        if !sameAck { fwd.duplicateACKs = 0 }
        // ACKED LOST PACKET ("ACKed unseen segment").
        if let peerMax = rev.maxSequenceToBeAcked, ack.isAfter(peerMax), s.hasACK {
            if let peerNext = rev.nextSequence, peerMax.isBefore(peerNext) {
                rev.maxSequenceToBeAcked = peerNext
                f.insert(.ackedUnseenSegment)
            } else {
                if rev.duplicateACKs == 0 { f.insert(.ackedUnseenSegment) }
                rev.duplicateACKs = -1
            }
        }
        // RETRANSMISSION / SPURIOUS / FAST RETRANSMISSION / OUT-OF-ORDER.
        if (seglen > 0 || s.isSYN || s.isFIN) && !f.contains(.keepAlive) {
            retransmission(s, seglen: seglen, fwd: fwd, rev: rev, handshakeRTT: handshakeRTT, into: &f)
        }
        update(s, seglen: seglen, fwd: &fwd, findings: f)
        return f
    }

    private static func retransmission(_ s: TCPSegment, seglen: UInt32, fwd: DirectionSequenceState,
                                       rev: DirectionSequenceState, handshakeRTT: Int64?, into f: inout Findings) {
        let seq = s.sequence
        var notAdvanced = fwd.nextSequence.map { seq.isBefore($0) } ?? false
        // More than one new byte right after a probe's byte is not a retransmission.
        if seglen > 1, let next = fwd.nextSequence, next - 1 == seq { notAdvanced = false }
        // Spurious: every byte was already acknowledged. Wireshark also shows these,
        // and fast retransmissions, as tcp.analysis.retransmission.
        if seglen > 0, let peerAck = rev.lastAck, !(seq + seglen).isAfter(peerAck) {
            f.insert(.spuriousRetransmission)
            f.insert(.retransmission)
            return
        }
        if notAdvanced, rev.duplicateACKs >= 2, rev.lastAck == seq,
           let t = rev.lastAckTime, s.time.nanoseconds - t.nanoseconds < fastRetransmissionWindow {
            f.insert(.fastRetransmission)
            f.insert(.retransmission)
            return
        }
        let sinceNext = fwd.nextSequenceTime.map { s.time.nanoseconds - $0.nanoseconds } ?? Int64.max
        if notAdvanced, sinceNext < (handshakeRTT ?? outOfOrderThreshold) {
            // (Later Wireshark versions also call a segment that closes a series of
            // disordered ones out-of-order; tshark 4.0.17 does not.)
            let end = seq + seglen + (s.isSYN || s.isFIN ? 1 : 0)
            if fwd.nextSequence != end {
                f.insert(.outOfOrder)
                return
            }
        }
        if notAdvanced { f.insert(.retransmission) }
    }

    /// What the next segment compares against (packet-tcp.c, after the tests).
    private static func update(_ s: TCPSegment, seglen: UInt32, fwd: inout DirectionSequenceState, findings f: Findings) {
        let synOrFin: UInt32 = s.isSYN || s.isFIN ? 1 : 0
        let next = s.sequence + seglen + synOrFin
        if fwd.nextSequence == nil || next.isAfter(fwd.nextSequence!), !f.contains(.zeroWindowProbe) {
            fwd.nextSequence = next
            fwd.nextSequenceTime = s.time
        }
        if fwd.maxSequenceToBeAcked == nil || s.sequence == fwd.maxSequenceToBeAcked!, !f.contains(.zeroWindowProbe) {
            fwd.maxSequenceToBeAcked = fwd.nextSequence
        }
        fwd.window = s.window
        fwd.lastAck = s.acknowledgment
        fwd.lastAckTime = s.time
        // RFC 7323 §2.2: a SYN's window is never scaled; scaling starts after it.
        if s.hasACK && !s.isSYN { fwd.isFirstACK = false }
        fwd.lastFindings = f
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
