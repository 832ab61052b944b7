import TraceModel
import PacketWire

/// Infers one endpoint's RFC 9293 state from the segments it sends and
/// receives (RFC 9293 §3.10 event processing, reduced to what a capture
/// shows). Pure: no I/O, no clock.
///
/// A capture is taken at one point, so "received" means the segment was
/// seen on its way to this endpoint. On loopback that is the moment it is
/// delivered; on a network path a segment may still be lost after it.
public struct EndpointStateMachine: Hashable, Sendable {
    public private(set) var state: TCPState
    /// The endpoint's initial sequence number, once it sent a SYN.
    public private(set) var initialSequence: SequenceNumber?
    /// The sequence number right after this endpoint's FIN.
    public private(set) var finEnd: SequenceNumber?
    /// Whether a FIN from the peer was seen.
    public private(set) var peerFINSeen = false

    public init(state: TCPState = .closed) {
        self.state = state
    }

    /// The endpoint sent `s`.
    public mutating func send(_ s: TCPSegment) {
        if s.isRST {
            state = .closed
            return
        }
        if s.isSYN {
            initialSequence = s.sequence
            if s.hasACK {
                // A SYN-ACK: the answer of a listener, or of either side of a simultaneous open.
                if state != .established { state = .synReceived }
            } else if [.unknown, .closed, .listen].contains(state) {
                state = .synSent
            }
        }
        if s.isFIN {
            finEnd = s.nextSequence
            switch state {
            case .established, .synReceived, .unknown:
                state = peerFINSeen ? .lastAck : .finWait1
            case .closeWait:
                state = .lastAck
            default:
                break  // a retransmitted FIN
            }
        }
    }

    /// The endpoint received `s` (sent by its peer, or by itself when self-connected).
    public mutating func receive(_ s: TCPSegment) {
        switch state {
        case .established, .finWait1, .finWait2, .closeWait, .closing, .lastAck, .timeWait:
            // RFC 9293 §3.10.7.4: a SYN gets a challenge ACK and is dropped (RFC 5961 §4);
            // a segment without ACK (and without RST) is dropped.
            if s.isSYN && !s.isRST { return }
            if !s.hasACK && !s.isRST { return }
        case .synSent:
            // §3.10.7.3: in SYN-SENT a RST counts only with an acceptable ACK.
            if s.isRST && !s.hasACK { return }
        default:
            break
        }
        if s.isRST {
            // RFC 9293 §3.10.7.1: a listener ignores RST; elsewhere it aborts (and ends TIME-WAIT, RFC 1337).
            if state != .listen { state = .closed }
            return
        }
        if s.isSYN {
            if !s.hasACK {
                switch state {
                case .synSent: state = .synReceived  // simultaneous open, §3.10.7.3
                default: break  // LISTEN or CLOSED: only its answer will tell
                }
            } else if state == .synSent || state == .synReceived, acknowledgesSYN(s) {
                state = .established
            }
        } else if s.hasACK {
            if state == .synReceived, acknowledgesSYN(s) { state = .established }
        }
        if s.hasACK, let finEnd, !s.acknowledgment.isBefore(finEnd) {
            switch state {
            case .finWait1: state = .finWait2
            case .closing: state = .timeWait
            case .lastAck: state = .closed
            default: break
            }
        }
        if s.isFIN {
            peerFINSeen = true
            switch state {
            case .established, .synReceived, .unknown: state = .closeWait
            case .finWait1: state = .closing
            case .finWait2: state = .timeWait
            default: break
            }
        }
    }

    private func acknowledgesSYN(_ s: TCPSegment) -> Bool {
        guard let isn = initialSequence else { return true }
        return !s.acknowledgment.isBefore(isn + 1)
    }
}
