import PacketWire

/// Zeek's view of a TCP connection: each endpoint's analyzer state, the
/// `history` string and the `conn_state` that
/// `scripts/base/protocols/conn/main.zeek` derives from them.
///
/// Endpoint transitions follow `TCPSessionAdapter::UpdateStateMachine` in
/// Zeek's `src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc`.
struct ZeekConnection: Hashable, Sendable {
    /// Zeek's `TCP_ENDPOINT_*` states.
    enum EndpointState: Hashable, Sendable {
        case inactive, synSent, synACKSent, partial, established, closed, reset
    }

    var originator = EndpointState.inactive
    var responder = EndpointState.inactive
    var originatorSize = 0
    var responderSize = 0
    private(set) var history = ""
    /// Letters recorded once per direction (bit per letter and direction).
    private var seen: UInt64 = 0
    /// Repeat counters for the logarithmic letters (T, W) per direction.
    private var repeats: [Character: Int] = [:]
    private var flipped = false

    mutating func observe(_ s: TCPSegment, isOriginator: Bool, findings: Findings) {
        addHistory(s, isOriginator: isOriginator, findings: findings)
        if isOriginator {
            Self.update(&originator, peer: &responder, s, isOriginator: true)
            if !findings.contains(.retransmission) { originatorSize += s.payloadLength }
        } else {
            Self.update(&responder, peer: &originator, s, isOriginator: false)
            if !findings.contains(.retransmission) { responderSize += s.payloadLength }
        }
    }

    private static func update(_ e: inout EndpointState, peer: inout EndpointState, _ s: TCPSegment, isOriginator: Bool) {
        let f = s.flags
        switch e {
        case .inactive:
            if f.contains(.syn) {
                if isOriginator {
                    e = f.contains(.ack) ? .synACKSent : .synSent
                } else {
                    if peer == .synSent { peer = .established }
                    e = .synACKSent
                }
            }
            if f.contains(.fin) { e = .closed }
            if f.contains(.rst) { e = .reset }
            if e == .inactive { e = .partial }
        case .synSent, .synACKSent:
            if f.contains(.fin) { e = .closed }
            if f.contains(.rst) {
                e = .reset
            } else if f.contains(.ack), !f.contains(.syn), !f.contains(.fin) {
                e = .established
                if peer == .synACKSent { peer = .established }
            }
        case .established, .partial:
            if f.contains(.fin), !f.contains(.rst) { e = .closed }
            if f.contains(.rst) { e = .reset }
        case .closed:
            if f.contains(.rst) { e = .reset }
        case .reset:
            break
        }
    }

    /// History letters (main.zeek `Conn::Info$history`): upper case for the
    /// originator, lower for the responder; each at most once per direction,
    /// except T (retransmission) and W (zero window), recorded at the 1st,
    /// 10th, 100th… occurrence.
    private mutating func addHistory(_ s: TCPSegment, isOriginator: Bool, findings: Findings) {
        let f = s.flags
        if f.contains(.syn) {
            if f.contains(.fin) || f.contains(.rst) {
                once("Q", isOriginator)
            }
            once(f.contains(.ack) ? "H" : "S", isOriginator)
        }
        if f.contains(.fin) { once("F", isOriginator) }
        if f.contains(.rst) { once("R", isOriginator) }
        if s.payloadLength > 0 {
            once("D", isOriginator)
        } else if f.contains(.ack), !f.contains(.syn), !f.contains(.fin), !f.contains(.rst) {
            once("A", isOriginator)
        }
        if findings.contains(.retransmission) { logarithmic("T", isOriginator) }
        if s.window == 0, !f.contains(.syn), !f.contains(.fin), !f.contains(.rst) { logarithmic("W", isOriginator) }
    }

    private mutating func once(_ letter: Character, _ isOriginator: Bool) {
        let index = UInt64(letter.asciiValue! - 65) * 2 + (isOriginator ? 0 : 1)
        guard seen & (1 << index) == 0 else { return }
        seen |= 1 << index
        append(letter, isOriginator)
    }

    private mutating func logarithmic(_ letter: Character, _ isOriginator: Bool) {
        let key: Character = isOriginator ? letter : Character(letter.lowercased())
        let n = (repeats[key] ?? 0) + 1
        repeats[key] = n
        var threshold = 1
        while threshold < n { threshold *= 10 }
        if threshold == n { append(letter, isOriginator) }
    }

    private mutating func append(_ letter: Character, _ isOriginator: Bool) {
        history.append(isOriginator ? letter : Character(letter.lowercased()))
    }

    /// `conn_state` from main.zeek, verbatim in logic.
    var connState: String {
        let os = originator, rs = responder
        let oInactive = os == .inactive || os == .partial
        let rInactive = rs == .inactive || rs == .partial
        if rs == .reset {
            if os == .synSent || os == .synACKSent || (os == .reset && originatorSize == 0 && responderSize == 0) {
                return "REJ"
            } else if oInactive {
                return "RSTRH"
            } else {
                return "RSTR"
            }
        } else if os == .reset {
            if rInactive {
                // /\^?S[^HAFGIQ]*R.*/ == c$history
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

    /// Whether `history` matches `^?S[^HAFGIQ]*R.*` in full.
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
