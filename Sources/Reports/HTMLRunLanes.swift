import Analysis
import PacketWire
import TraceModel

/// The lanes of a run's diagram: one per socket (numbered sockets folded,
/// `LaneFold`), and one per address no socket has, placed next to the socket
/// that talks to it.
extension HTMLDiagramBuilder {
    enum LaneKey: Hashable {
        case socket(String)
        case endpoint(SocketAddress)
        /// The kernel answering with ICMP for a port a socket holds.
        case kernel(IPAddress)

        var isSocket: Bool { if case .socket = self { true } else { false } }
    }

    /// Which lane each address belongs to, and the lanes in order.
    struct RunLanes {
        var keys: [LaneKey] = []
        var index = LaneIndex()
        var address: [SocketAddress: String] = [:]
        var detail: [String: String] = [:]

        func lane(_ a: SocketAddress) -> Int? {
            if let name = address[a] { return index[.socket(name)] }
            return index[.endpoint(a)]
        }

        /// The socket name for an address, or the address itself.
        func name(_ a: SocketAddress) -> String { address[a] ?? a.hostPort }

        /// The lane key of an address: its socket's, else its own.
        func key(_ a: SocketAddress) -> LaneKey { address[a].map { .socket($0) } ?? .endpoint(a) }

        /// The lanes as the diagram draws them.
        var diagramLanes: [HTMLDiagram.Lane] {
            keys.map { k in
                switch k {
                case .socket(let n): HTMLDiagram.Lane(name: n, detail: detail[n] ?? "", phantom: false)
                case .endpoint(let a): HTMLDiagram.Lane(name: a.hostPort, detail: "no socket", phantom: true)
                case .kernel(let a): HTMLDiagram.Lane(name: "kernel", detail: "\(a) (ICMP)", phantom: true)
                }
            }
        }
    }

    /// Lane numbers by key; numbered sockets folded into one lane (LaneFold) share its number.
    struct LaneIndex {
        var fold: [String: String] = [:]
        var map: [LaneKey: Int] = [:]
        subscript(_ k: LaneKey) -> Int? {
            get { map[folded(k)] }
            set { map[folded(k)] = newValue }
        }
        func folded(_ k: LaneKey) -> LaneKey {
            if case .socket(let n) = k, let f = fold[n] { return .socket(f) }
            return k
        }
    }

    static func lanes(of t: Timeline) -> RunLanes {
        var r = RunLanes()
        r.index.fold = LaneFold.fold(t.sockets)
        r.address = addressOwners(t).filter { t.sockets.contains($0.value) }
        r.detail = laneAddresses(t)
        r.keys = laneOrder(t, r)
        for (i, k) in r.keys.enumerated() { r.index[k] = i }
        return r
    }

    /// The socket each address belongs to. Who sent from an address says
    /// most; then what the kernel reported; then bind().
    static func addressOwners(_ t: Timeline) -> [SocketAddress: String] {
        var address: [SocketAddress: String] = [:]
        func claim(_ a: SocketAddress, _ socket: String) { if address[a] == nil { address[a] = socket } }
        for s in t.segments { if let n = s.sender { claim(s.segment.flow.source, n) } }
        for d in t.datagrams { if let n = d.sender { claim(d.source, n) } }
        for c in t.syscalls {
            for snap in c.event.snapshot where snap.state != .listen && snap.state != .closed {
                if let l = snap.local { claim(l, snap.socket) }
            }
        }
        for c in t.syscalls { if c.event.call == .bind, case .address(let a)? = c.event.argument("addr") { claim(a, c.event.socket) } }
        for c in t.syscalls {
            for snap in c.event.snapshot where snap.state == .listen { if let l = snap.local { claim(l, snap.socket) } }
        }
        return address
    }

    /// A lane's address: what it was bound to, else what it sent from, else what the kernel showed.
    static func laneAddresses(_ t: Timeline) -> [String: String] {
        var detail: [String: String] = [:]
        for c in t.syscalls where c.event.call == .bind {
            if case .address(let a)? = c.event.argument("addr"), detail[c.event.socket] == nil { detail[c.event.socket] = a.hostPort }
        }
        for s in t.segments { if let n = s.sender, detail[n] == nil { detail[n] = s.segment.flow.source.hostPort } }
        for d in t.datagrams { if let n = d.sender, detail[n] == nil { detail[n] = d.source.hostPort } }
        for c in t.syscalls {
            for snap in c.event.snapshot { if let l = snap.local, detail[snap.socket] == nil { detail[snap.socket] = l.hostPort } }
        }
        return detail
    }

    /// The sockets' lanes in order; endpoints without a socket get a lane
    /// right of the first socket that talks to them.
    static func laneOrder(_ t: Timeline, _ r: RunLanes) -> [LaneKey] {
        var keys: [LaneKey] = LaneFold.lanes(t.sockets, r.index.fold).map { .socket($0) }
        func add(_ k: LaneKey, near peer: LaneKey?) {
            let k = r.index.folded(k), peer = peer.map(r.index.folded)
            guard !keys.contains(k) else { return }
            guard let peer, let p = keys.firstIndex(of: peer) else { keys.append(k); return }
            var i = p + 1
            while i < keys.count, !keys[i].isSocket { i += 1 }
            keys.insert(k, at: i)
        }
        for e in t.entries {
            switch e {
            case .segment(let s):
                let src = s.sender.map { LaneKey.socket($0) } ?? r.key(s.segment.flow.source)
                let dst = r.key(s.segment.flow.destination)
                add(src, near: dst)
                add(dst, near: src)
            case .datagram(let d):
                let ends = datagramEnds(d, r)
                add(ends.from, near: ends.to)
                add(ends.to, near: ends.from)
            case .syscall:
                break
            }
        }
        return keys
    }

    /// The lanes a datagram is drawn between. An ICMP error the kernel sent
    /// comes from the address the quoted datagram went to: its own lane when
    /// no socket has that address, otherwise a lane for the kernel.
    static func datagramEnds(_ d: TimelineDatagram, _ r: RunLanes) -> (from: LaneKey, to: LaneKey) {
        if d.proto == .udp {
            return (d.sender.map { .socket($0) } ?? r.key(d.source), r.key(d.destination))
        }
        let to: LaneKey = d.quotes.map { r.key($0.source) } ?? .kernel(d.destination.address)
        if let n = d.sender { return (.socket(n), to) }
        if let q = d.quotes, r.address[q.destination] == nil { return (.endpoint(q.destination), to) }
        return (.kernel(d.source.address), to)
    }
}
