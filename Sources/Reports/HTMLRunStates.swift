import Analysis
import PacketWire
import TraceModel

/// The lane of each end of a run's connection: the socket that sent from it
/// on this flow (two accepted sockets share the listener's address), else a
/// listener on the address (a SYN nobody answered went to it), else whoever
/// has the address.
struct HTMLWireEnds {
    let lanes: HTMLDiagramBuilder.RunLanes
    let receivers: Receivers
    let listener: [SocketAddress: Int]

    init(_ t: Timeline, lanes: HTMLDiagramBuilder.RunLanes) {
        self.lanes = lanes
        receivers = Receivers(t)
        var listener: [SocketAddress: Int] = [:]
        for c in t.syscalls {
            for snap in c.event.snapshot where snap.state == .listen {
                if let a = snap.local, let l = lanes.index[.socket(snap.socket)], listener[a] == nil { listener[a] = l }
            }
        }
        self.listener = listener
    }

    /// The lane of address `a`, one end of `flow`.
    func lane(_ a: SocketAddress, on flow: DirectedFlow) -> Int? {
        let directed = flow.source == a ? flow : flow.reversed
        return receivers.firstSender(on: directed).flatMap { lanes.index[.socket($0)] } ?? listener[a] ?? lanes.lane(a)
    }
}

/// Lanes take their states from the kernel's snapshots before and after
/// they are an endpoint on the wire, and from the segments while they are
/// (the wire tells a closing socket's states after close() returned, when
/// the kernel already calls it CLOSED).
struct HTMLSnapshotStates {
    /// Each lane's first and last entry on the wire.
    var wireFrom: [Int: Int] = [:], wireTo: [Int: Int] = [:]
    /// The snapshots that hold after each entry.
    var after: [Int: [SocketSnapshot]] = [:]

    init(_ t: Timeline, lanes: HTMLDiagramBuilder.RunLanes, ends: HTMLWireEnds) {
        for (p, e) in t.entries.enumerated() {
            guard case .segment(let s) = e else { continue }
            let f = s.segment.flow
            for a in [f.source, f.destination] {
                guard let l = ends.lane(a, on: f) else { continue }
                if wireFrom[l] == nil { wireFrom[l] = p }
                wireTo[l] = p
            }
        }
        // A snapshot is true when its call returned: apply it after the last entry before that.
        for (p, e) in t.entries.enumerated() {
            guard case .syscall(let c) = e, !c.event.snapshot.isEmpty else { continue }
            var q = p
            while q + 1 < t.entries.count, t.entries[q + 1].time <= c.event.end { q += 1 }
            after[q, default: []] += c.event.snapshot
        }
    }

    /// The kernel's states that hold from entry `p` on, for lanes not on the wire then.
    func apply(after p: Int, to states: inout [TCPState?], lanes: HTMLDiagramBuilder.RunLanes) {
        for snap in after[p] ?? [] {
            guard let l = lanes.index[.socket(snap.socket)], p < wireFrom[l] ?? Int.max || p > wireTo[l] ?? Int.max else { continue }
            if snap.state == .closed && states[l] == nil { continue }
            states[l] = snap.state
        }
    }
}
