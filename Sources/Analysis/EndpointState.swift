/// A TCP endpoint's connection state, RFC 9293 §3.3.2, as inferred from the
/// segments seen; `unknown` where the capture cannot tell (it started
/// mid-stream, or the segments that would tell were not captured).
public enum EndpointState: String, Hashable, Sendable, CaseIterable {
    case unknown = "UNKNOWN"
    case listen = "LISTEN"
    case synSent = "SYN-SENT"
    case synReceived = "SYN-RECEIVED"
    case established = "ESTABLISHED"
    case finWait1 = "FIN-WAIT-1"
    case finWait2 = "FIN-WAIT-2"
    case closeWait = "CLOSE-WAIT"
    case closing = "CLOSING"
    case lastAck = "LAST-ACK"
    case timeWait = "TIME-WAIT"
    case closed = "CLOSED"

    /// The name RFC 9293 uses.
    public var name: String { rawValue }
}

/// The states of both endpoints of a connection after a segment.
public struct ConnectionStates: Hashable, Sendable {
    public var originator: EndpointState
    public var responder: EndpointState
    public init(originator: EndpointState, responder: EndpointState) {
        self.originator = originator
        self.responder = responder
    }
}
