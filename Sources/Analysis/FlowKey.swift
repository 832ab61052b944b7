import TraceModel

/// The transport protocol of a flow.
public enum FlowProtocol: UInt8, Hashable, Sendable {
    case tcp = 6
    case udp = 17
}

/// One direction of a flow: who sent a segment to whom.
public struct DirectedFlow: Hashable, Sendable {
    public var source: SocketAddress
    public var destination: SocketAddress
    public init(_ source: SocketAddress, _ destination: SocketAddress) {
        self.source = source
        self.destination = destination
    }

    public var reversed: DirectedFlow { DirectedFlow(destination, source) }
}

/// A canonical flow key: A→B and B→A give the same key (the lower endpoint
/// first). A self-connected socket has source equal to destination.
public struct FlowKey: Hashable, Sendable {
    public var proto: FlowProtocol
    public var lower: SocketAddress
    public var upper: SocketAddress

    public init(_ proto: FlowProtocol, _ a: SocketAddress, _ b: SocketAddress) {
        self.proto = proto
        if a < b { lower = a; upper = b } else { lower = b; upper = a }
    }

    public init(_ proto: FlowProtocol, _ flow: DirectedFlow) {
        self.init(proto, flow.source, flow.destination)
    }
}
