import PacketWire
import TraceModel

/// Which scenario socket owns which addresses, learnt from the calls'
/// arguments, outputs and kernel snapshots.
struct SocketOwners {
    /// 4-tuples (local, remote) → the sockets that held them, with the
    /// time of the call after which each was first seen holding it.
    var tuples: [DirectedFlow: [(name: String, since: Timestamp)]] = [:]
    /// Local addresses of listening or bound sockets → name.
    var bound: [SocketAddress: String] = [:]
    var listening: Set<String> = []
    /// When each listening socket called listen().
    var listenTime: [String: Timestamp] = [:]
    var lingerZero: Set<String> = []
    /// The backlog each listener asked for.
    var backlog: [String: Int] = [:]
    /// Whether any call carries the kernel's socket table (a traced program's calls do not).
    var hasSnapshots = false

    init(events: [SyscallEvent]) {
        for e in events {
            if !e.snapshot.isEmpty { hasSnapshots = true }
            for snap in e.snapshot {
                if let l = snap.local, let r = snap.remote { hold(DirectedFlow(l, r), snap.socket, since: e.begin) }
                if let l = snap.local, snap.remote == nil, bound[l] == nil { bound[l] = snap.socket }
                if snap.state == .listen { listening.insert(snap.socket) }
            }
            // What a traced program's accept() returned and its connect() bound (TracedCalls: from the kernel's own events).
            if e.call == .accept || e.call == .accept4, case .text(let name)? = e.outputs.first(where: { $0.name == "socket" })?.value,
               case .address(let peer)? = e.outputs.first(where: { $0.name == "peer" })?.value,
               case .address(let local)? = e.outputs.first(where: { $0.name == "addr" })?.value {
                hold(DirectedFlow(local, peer), name, since: e.begin)
            }
            if e.call == .connect, case .address(let remote)? = e.argument("addr"),
               case .address(let local)? = e.outputs.first(where: { $0.name == "local" })?.value {
                hold(DirectedFlow(local, remote), e.socket, since: e.begin)
            }
            if e.call == .bind, e.error == nil, case .address(let a)? = e.argument("addr"), bound[a] == nil { bound[a] = e.socket }
            if e.call == .listen, e.error == nil {
                // A traced program's listen(): its local end, from the kernel's CLOSE→LISTEN event.
                if case .address(let a)? = e.outputs.first(where: { $0.name == "addr" })?.value {
                    if bound[a] == nil { bound[a] = e.socket }
                    listening.insert(e.socket)
                }
                listenTime[e.socket] = listenTime[e.socket] ?? e.begin
                if case .int(let n)? = e.argument("backlog") { backlog[e.socket] = n }
            }
            if e.call == .setsockopt, e.argument("option").map({ SocketOptionName(rawValue: $0.description) }) == .linger,
               e.argument("value").flatMap({ Linger(text: $0.description) }) == .abortive { lingerZero.insert(e.socket) }
        }
    }

    /// The socket that sent `s`: the one holding its 4-tuple; nil when the
    /// kernel answered for an address no socket holds.
    mutating func hold(_ flow: DirectedFlow, _ name: String, since: Timestamp) {
        if tuples[flow]?.contains(where: { $0.name == name }) == true { return }
        tuples[flow, default: []].append((name, since))
    }

    /// The socket holding `flow` for a connection that ended at `until`: the
    /// latest to take it by then (the earliest, for an accepted socket whose
    /// handshake came before accept()).
    func owner(_ flow: DirectedFlow, until: Timestamp) -> String? {
        guard let list = tuples[flow], !list.isEmpty else { return nil }
        return list.last { $0.since <= until }?.name ?? list.first?.name
    }

    func sender(of s: TCPSegment, until: Timestamp) -> String? {
        if let n = owner(s.flow, until: until) { return n }
        if s.isRST && !s.hasACK || !s.isSYNACK && !s.isRST { return bound[s.flow.source].flatMap { listening.contains($0) ? nil : $0 } }
        if s.isRST { return bound[s.flow.source] }
        return bound[s.flow.source] ?? wildcard(s.flow.source)
    }


    /// A socket whose connect() failed holds no 4-tuple afterwards, so the
    /// kernel's table never shows it. Its SYN is the bare SYN from an
    /// unowned address sent while that connect() ran (or after a
    /// nonblocking connect() returned EINPROGRESS).
    mutating func learnConnectTuples(events: [SyscallEvent], segments: [TCPSegment]) {
        for s in segments where s.isBareSYN && owner(s.flow, until: s.time) == nil {
            let candidates = events.filter { $0.call == .connect && $0.argument("addr") == .address(s.flow.destination) && $0.begin <= s.time }
            guard let call = candidates.last(where: { $0.end >= s.time }) ?? candidates.last(where: { $0.error == .inProgress }) else { continue }
            guard !tuples.contains(where: { $0.key != s.flow && $0.value.contains { $0.name == call.socket } }) else { continue }
            hold(s.flow, call.socket, since: call.begin)
        }
    }

    func wildcardOwner(_ a: SocketAddress) -> String? { wildcard(a) }

    /// "listener's accept queue is full (2 > backlog 1)" when the listener on
    /// `address` had more completed connections queued than its backlog at
    /// the last snapshot before `time`.
    func fullAcceptQueue(at address: SocketAddress, before time: Timestamp, calls: [TimelineSyscall]) -> String? {
        guard hasSnapshots, let listener = bound[address] ?? wildcard(address), listening.contains(listener),
              let backlog = backlog[listener],
              let queue = calls.last(where: { $0.event.end <= time && !$0.event.snapshot.isEmpty })?.event.snapshot.first(where: { $0.socket == listener })?.receiveQueue,
              queue > backlog else { return nil }
        return "\(listener)'s accept queue is full (\(queue) > backlog \(backlog))"
    }

    private func wildcard(_ a: SocketAddress) -> String? {
        bound.first { $0.key.port == a.port && ($0.key.address == .v4(.any) || $0.key.address == .v6(.any)) }?.value
    }

    /// `client (127.0.0.1:40000)`, or the address alone when no socket owns it.
    func label(_ address: SocketAddress, flow: DirectedFlow, reversed: Bool, until: Timestamp) -> String {
        let tuple = reversed ? flow.reversed : flow
        let name = owner(tuple, until: until) ?? bound[address]
        return name.map { "\($0) (\(address.hostPort))" } ?? address.hostPort
    }
}
