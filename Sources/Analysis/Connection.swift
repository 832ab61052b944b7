import PacketWire
import TraceModel

/// Which side of a connection sent a segment.
public enum Direction: String, Hashable, Sendable {
    case originator
    case responder
}

/// How a connection opened.
public enum HandshakeClass: String, Hashable, Sendable, CaseIterable {
    /// SYN, SYN-ACK, ACK.
    case threeWay = "three-way"
    /// Crossing SYNs, then a SYN-ACK from each side (RFC 9293 §3.5, figure 8).
    case simultaneousOpen = "simultaneous-open"
    /// One socket connected to its own address and port.
    case selfConnect = "self-connect"
    /// SYN answered by RST.
    case refused
    /// SYN with no reply at all.
    case unanswered
    /// A handshake began but did not complete in the capture.
    case incomplete
    /// No SYN seen: the capture began mid-stream.
    case none
}

/// How a connection ended.
public enum TeardownClass: String, Hashable, Sendable, CaseIterable {
    /// A FIN each way, both acknowledged.
    case graceful
    /// A FIN one way only.
    case halfClosed = "half-closed"
    /// A FIN each way, but not both acknowledged in the capture.
    case finUnacknowledged = "fin-unacknowledged"
    case resetByOriginator = "reset-by-originator"
    case resetByResponder = "reset-by-responder"
    /// A RST after a FIN had been sent.
    case abortAfterFIN = "abort-after-fin"
    /// No FIN or RST: the capture ended first.
    case open
}

/// Counters for one direction of a connection.
public struct DirectionStats: Hashable, Sendable {
    public var segments = 0
    public var payloadBytes = 0
    public var retransmissions = 0
    public init() {}
}

/// A segment with everything analysis learnt about it.
public struct AnnotatedSegment: Hashable, Sendable {
    public var segment: TCPSegment
    public var connection: Int
    public var direction: Direction
    public var relativeSequence: UInt32
    /// Nil when the ACK flag is clear.
    public var relativeAcknowledgment: UInt32?
    public var findings: Findings
    /// Each endpoint's state after this segment.
    public var states: ConnectionStates
}

/// A finished (or, at the end of a capture, still open) TCP connection.
public struct Connection: Hashable, Sendable {
    /// 1-based, in the order connections started in the capture.
    public var id: Int
    public var originator: SocketAddress
    public var responder: SocketAddress
    /// True when no SYN or SYN-ACK said who opened the connection, and the
    /// first sender was taken as the originator.
    public var originatorIsGuess: Bool
    public var handshake: HandshakeClass
    public var teardown: TeardownClass
    /// Zeek's `conn_state`.
    public var connState: String
    /// Zeek's `history`.
    public var history: String
    public var originatorStats: DirectionStats
    public var responderStats: DirectionStats
    /// First SYN to the ACK that completed the handshake, in nanoseconds.
    public var handshakeRTT: Int64?
    public var start: Timestamp
    public var end: Timestamp
    public var duration: Int64 { end.nanoseconds - start.nanoseconds }
    public var originatorISN: SequenceNumber?
    public var responderISN: SequenceNumber?
    /// Each endpoint's state after the last segment.
    public var finalStates: ConnectionStates
    /// How often each finding occurred.
    public var findingCounts: [Finding: Int]
    /// The annotated segments, when the tracker was asked to keep them.
    public var segments: [AnnotatedSegment]
    /// Frames of the first and last segment.
    public var firstFrame: Int
    public var lastFrame: Int
}
