import TraceModel

/// The states of both endpoints of a connection after a segment.
public struct ConnectionStates: Hashable, Sendable {
    public var originator: TCPState
    public var responder: TCPState
    public init(originator: TCPState, responder: TCPState) {
        self.originator = originator
        self.responder = responder
    }
}
