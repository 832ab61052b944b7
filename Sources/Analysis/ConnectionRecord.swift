import PacketWire
import TraceModel

/// The mutable state of one connection while the tracker follows it.
final class ConnectionRecord {
    let id: Int
    let key: FlowKey
    let originator: SocketAddress
    let responder: SocketAddress
    let originatorIsGuess: Bool
    /// Source and destination are one socket (asked on every segment, so kept).
    let isSelfConnect: Bool

    var originatorMachine: EndpointStateMachine
    var responderMachine: EndpointStateMachine
    var originatorSequence = DirectionSequenceState()
    var responderSequence = DirectionSequenceState()
    var originatorBase: SequenceNumber?
    var responderBase: SequenceNumber?
    var originatorStats = DirectionStats()
    var responderStats = DirectionStats()
    var zeek = ZeekConnection()

    // Facts for classification.
    var originatorISN: SequenceNumber?
    var responderISN: SequenceNumber?
    var responderSentBareSYN = false
    var responderSentSYNACK = false
    var originatorSentSYNACK = false
    var handshakeACKSeen = false
    var responderSentAnything = false
    var firstRST: Direction?
    var rstAfterFIN = false
    var originatorFIN: SequenceNumber?
    var responderFIN: SequenceNumber?
    var originatorFINAcked = false
    var responderFINAcked = false
    var synTime: Timestamp?
    /// Window scale options of each side's SYN (outer nil: no SYN seen yet).
    var originatorWindowScale: UInt8??
    var responderWindowScale: UInt8??
    var handshakeRTT: Int64?

    let start: Timestamp
    var end: Timestamp
    let firstFrame: Int
    var lastFrame: Int
    /// Count of each finding by `Finding.position`; empty until the first finding.
    var findingCounts: [Int] = []
    var segments: [AnnotatedSegment] = []
    let keepSegments: Bool
    /// Emitted and out of the tracker's table.
    var buried = false

    init(id: Int, key: FlowKey, first s: TCPSegment, keepSegments: Bool) {
        self.id = id
        self.key = key
        self.keepSegments = keepSegments
        if s.isSYNACK {
            // A SYN-ACK answers a SYN: its receiver opened the connection.
            originator = s.flow.destination
            responder = s.flow.source
            originatorIsGuess = false
        } else {
            originator = s.flow.source
            responder = s.flow.destination
            originatorIsGuess = !s.isBareSYN
        }
        isSelfConnect = originator == responder
        let midStream = !s.isSYN
        originatorMachine = EndpointStateMachine(state: midStream ? .unknown : .closed)
        // Whether the responder listens shows only in its answer (see `observe`).
        responderMachine = EndpointStateMachine(state: .unknown)
        start = s.time
        end = s.time
        firstFrame = s.frame
        lastFrame = s.frame
    }

    func direction(of s: TCPSegment) -> Direction {
        s.flow.source == originator ? .originator : .responder
    }

    var finished: Bool {
        if firstRST != nil { return true }
        return originatorFINAcked && responderFINAcked
    }

    var states: ConnectionStates {
        ConnectionStates(originator: originatorMachine.state,
                         responder: isSelfConnect ? originatorMachine.state : responderMachine.state)
    }

    /// Whether a bare SYN on this 4-tuple belongs to this connection (a
    /// retransmission, or the other half of a simultaneous open) rather
    /// than opening a new one.
    func accepts(bareSYN s: TCPSegment) -> Bool {
        switch direction(of: s) {
        case .originator:
            return originatorISN == s.sequence
        case .responder:
            if let isn = responderISN { return isn == s.sequence }
            // Crossing SYNs: the responder has not answered yet and nothing has closed.
            return originatorISN != nil && !responderSentSYNACK && firstRST == nil && originatorFIN == nil
        }
    }

    /// Follows one segment; returns its annotation (kept too with `keepSegments`).
    func observe(_ s: TCPSegment) -> AnnotatedSegment {
        let (dir, findings) = follow(s)
        let rel = relative(s, dir)
        let annotated = AnnotatedSegment(segment: s, connection: id, direction: dir, relativeSequence: rel.seq,
                                         relativeAcknowledgment: rel.ack, findings: findings, states: states)
        if keepSegments { segments.append(annotated) }
        return annotated
    }

    /// Follows one segment without annotating it: what `analyze` needs
    /// when it keeps no segments (building the annotation copied each one).
    /// Only the relative sequence bases, which nothing else reads, stay behind.
    func follow(_ s: TCPSegment) -> (Direction, Findings) {
        let dir = isSelfConnect ? .originator : direction(of: s)
        let responderFirst = dir == .responder && !responderSentAnything
        // A SYN-ACK whose ISN differs from the responder's earlier one: Wireshark's "port numbers reused".
        let newSYNACK = s.isSYNACK && dir == .responder && responderISN != nil && responderISN != s.sequence
        end = s.time
        lastFrame = s.frame
        var findings: Findings
        switch dir {
        case .originator:
            findings = SequenceAnalysis.analyze(s, forward: &originatorSequence, reverse: &responderSequence, handshakeRTT: handshakeRTT)
        case .responder:
            findings = SequenceAnalysis.analyze(s, forward: &responderSequence, reverse: &originatorSequence, handshakeRTT: handshakeRTT)
        }
        if newSYNACK {
            findings.insert(.reusedPorts)
            responderISN = s.sequence
            responderBase = s.sequence
        }
        noteFacts(s, dir, findings)
        updateStates(s, dir)
        zeek.observe(s, isOriginator: dir == .originator, findings: findings)
        if !findings.isEmpty { count(findings) }

        if responderFirst { resolveResponderStart(answer: s) }
        return (dir, findings)
    }

    func count(_ findings: Findings) {
        if findingCounts.isEmpty { findingCounts = Array(repeating: 0, count: Finding.allCases.count) }
        for f in findings { findingCounts[f.position] += 1 }
    }

    /// The findings seen, with how often; built once per connection.
    var findingDictionary: [Finding: Int] {
        var d: [Finding: Int] = [:]
        for (i, n) in findingCounts.enumerated() where n > 0 { d[Finding.ordered[i]] = n }
        return d
    }

    /// The responder's first segment tells what it was before: a SYN-ACK
    /// means it listened, a RST that nothing listened. The states kept for
    /// earlier segments are filled in with that evidence.
    private func resolveResponderStart(answer s: TCPSegment) {
        guard originatorISN != nil, !isSelfConnect else { return }
        let before: TCPState = s.isSYNACK ? .listen : s.isRST ? .closed : s.isBareSYN ? .closed : .unknown
        guard before != .unknown else { return }
        for i in segments.indices where segments[i].states.responder == .unknown {
            segments[i].states.responder = before
        }
    }

    private func updateStates(_ s: TCPSegment, _ dir: Direction) {
        if isSelfConnect {
            originatorMachine.send(s)
            originatorMachine.receive(s)
        } else if dir == .originator {
            originatorMachine.send(s)
            responderMachine.receive(s)
        } else {
            responderMachine.send(s)
            originatorMachine.receive(s)
        }
    }

    private func noteFacts(_ s: TCPSegment, _ dir: Direction, _ findings: Findings) {
        var stats = dir == .originator ? originatorStats : responderStats
        stats.segments += 1
        if !findings.contains(.retransmission) && !findings.contains(.keepAlive) { stats.payloadBytes += s.payloadLength }
        if findings.contains(.retransmission) { stats.retransmissions += 1 }
        if dir == .originator { originatorStats = stats } else { responderStats = stats }

        if dir == .responder { responderSentAnything = true }
        if s.isSYN {
            if dir == .originator {
                if originatorISN == nil { originatorISN = s.sequence }
                if s.hasACK { originatorSentSYNACK = true }
                // Wireshark times the handshake from the most recent SYN.
                if !s.hasACK && !handshakeACKSeen { synTime = s.time }
            } else {
                if responderISN == nil { responderISN = s.sequence }
                if s.hasACK { responderSentSYNACK = true } else { responderSentBareSYN = true }
            }
        } else if s.hasACK, !handshakeACKSeen, dir == .originator,
                  let peerISN = isSelfConnect ? originatorISN : responderISN, s.acknowledgment == peerISN + 1 {
            handshakeACKSeen = true
            if let t = synTime { handshakeRTT = s.time.nanoseconds - t.nanoseconds }
        }
        if s.isSYN {
            if dir == .originator { originatorWindowScale = .some(s.options.windowScale) }
            else { responderWindowScale = .some(s.options.windowScale) }
            if isSelfConnect { responderWindowScale = originatorWindowScale }
            if case .some(let o) = originatorWindowScale, case .some(let r) = responderWindowScale {
                // RFC 7323 §2.2: scaling applies only when both SYNs carried the option.
                originatorSequence.windowScale = o != nil && r != nil ? o! : 0
                responderSequence.windowScale = o != nil && r != nil ? r! : 0
            }
        }
        if s.isRST {
            if firstRST == nil {
                firstRST = dir
                rstAfterFIN = originatorFIN != nil || responderFIN != nil
            }
        }
        if s.isFIN {
            let finEnd = s.nextSequence
            if dir == .originator { originatorFIN = originatorFIN ?? finEnd } else { responderFIN = responderFIN ?? finEnd }
        }
        if s.hasACK {
            // An ACK from one side acknowledges the other side's FIN (or, self-connected, its own).
            if isSelfConnect {
                if let fin = originatorFIN, !s.acknowledgment.isBefore(fin) { originatorFINAcked = true; responderFINAcked = true }
            } else if dir == .originator, let fin = responderFIN, !s.acknowledgment.isBefore(fin) {
                responderFINAcked = true
            } else if dir == .responder, let fin = originatorFIN, !s.acknowledgment.isBefore(fin) {
                originatorFINAcked = true
            }
        }
    }

    private func relative(_ s: TCPSegment, _ dir: Direction) -> (seq: UInt32, ack: UInt32?) {
        let own: SequenceNumber
        // As Wireshark: a direction's base is its SYN's sequence number, else
        // one below the first one seen, else one below the first ack of it.
        if dir == .originator {
            if s.isSYN { originatorBase = s.sequence } else if originatorBase == nil { originatorBase = s.sequence - 1 }
            own = originatorBase!
        } else {
            if s.isSYN { responderBase = s.sequence } else if responderBase == nil { responderBase = s.sequence - 1 }
            own = responderBase!
        }
        let seq = s.sequence.distance(from: own)
        guard s.hasACK else { return (seq, nil) }
        if isSelfConnect { return (seq, s.acknowledgment.distance(from: own)) }
        if dir == .originator {
            if responderBase == nil { responderBase = s.acknowledgment - 1 }
            return (seq, s.acknowledgment.distance(from: responderBase!))
        } else {
            if originatorBase == nil { originatorBase = s.acknowledgment - 1 }
            return (seq, s.acknowledgment.distance(from: originatorBase!))
        }
    }

    /// Classifies what was seen so far.
    var handshake: HandshakeClass {
        if originatorISN == nil && responderISN == nil { return .none }
        if isSelfConnect { return .selfConnect }
        if originatorISN != nil && responderSentBareSYN { return .simultaneousOpen }
        if originatorISN != nil && !responderSentSYNACK && firstRST == .responder { return .refused }
        if originatorISN != nil && !responderSentAnything { return .unanswered }
        if responderSentSYNACK && handshakeACKSeen { return .threeWay }
        return .incomplete
    }

    var teardown: TeardownClass {
        if let rst = firstRST {
            if rstAfterFIN { return .abortAfterFIN }
            return rst == .originator ? .resetByOriginator : .resetByResponder
        }
        switch (originatorFIN != nil, responderFIN != nil) {
        case (true, true): return originatorFINAcked && responderFINAcked ? .graceful : .finUnacknowledged
        case (true, false), (false, true): return isSelfConnect && originatorFINAcked ? .graceful : .halfClosed
        default: return .open
        }
    }

    func connection() -> Connection {
        Connection(id: id, originator: originator, responder: responder, originatorIsGuess: originatorIsGuess,
                   handshake: handshake, teardown: teardown, connState: zeek.connState, history: zeek.history,
                   originatorStats: originatorStats, responderStats: responderStats, handshakeRTT: handshakeRTT,
                   start: start, end: end, originatorISN: originatorISN, responderISN: responderISN,
                   finalStates: states, findingCounts: findingDictionary, segments: segments,
                   firstFrame: firstFrame, lastFrame: lastFrame)
    }
}
