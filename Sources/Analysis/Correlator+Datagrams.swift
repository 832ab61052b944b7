import PacketWire
import TraceModel

extension Correlator {
    /// A UDP datagram comes from the latest send()/sendto() to its
    /// destination; an ICMP error is the kernel's reply to the datagram it quotes.
    static func classify(_ d: Datagram, index: Int, calls: [TimelineSyscall], earlier: [TimelineDatagram]) -> TimelineDatagram {
        var g = TimelineDatagram(index: index, datagram: d, sender: nil, cause: .timer(.unknown), explanation: "")
        if d.proto == .udp {
            // The UDP destination of each socket: its last successful connect().
            var peers: [String: SocketAddress] = [:]
            for c in calls where c.event.call == .connect && c.event.error == nil {
                if case .address(let a)? = c.event.argument("addr") { peers[c.event.socket] = a } else { peers[c.event.socket] = nil }
            }
            let sender = calls.last { c in
                guard c.event.begin <= d.time, c.event.error == nil else { return false }
                if c.event.call == .sendto, case .address(let a)? = c.event.argument("addr") { return a == d.destination }
                if c.event.call == .send { return peers[c.event.socket] == d.destination }
                return false
            }
            if let sender {
                g.sender = sender.event.socket
                g.cause = .syscall(event: sender.index)
                g.explanation = "\(d.payloadLength)-byte datagram from \(sender.event.call)() on \(sender.event.socket) to \(d.destination.hostPort)"
            } else {
                g.explanation = "\(d.payloadLength)-byte datagram from \(d.source.hostPort) with no send recorded"
            }
            return g
        }
        if let q = d.quotes, let original = earlier.last(where: { (g: TimelineDatagram) -> Bool in g.proto == .udp && g.source == q.source && g.destination == q.destination }) {
            g.cause = .reply(to: original.index)
            g.explanation = d.isPortUnreachable
                ? "ICMP port unreachable from the kernel: no socket has udp \(q.destination.hostPort); a connected UDP socket reports it as ECONNREFUSED on its next call (udp(7))"
                : "ICMP error from the kernel about the datagram to \(q.destination.hostPort)"
        } else {
            g.explanation = "ICMP type \(d.icmpType ?? 0) code \(d.icmpCode ?? 0) from the kernel"
        }
        return g
    }
}
