import PacketWire

/// Short ICMP/ICMPv6 descriptions in the spirit of tcpdump's print-icmp.c
/// and print-icmp6.c.
enum ICMPText {
    static func describe(_ m: ICMPMessage) -> String {
        m.isV6 ? v6(m) : v4(m)
    }

    private static func quotedPort(_ m: ICMPMessage) -> String {
        guard let q = m.quoted else { return "?" }
        let port = q.destinationPort.map { " port \($0)" } ?? ""
        return "\(q.destination) \(protocolName(q.proto))\(port)"
    }

    private static func echo(_ m: ICMPMessage, _ name: String) -> String {
        "\(name), id \(m.rest >> 16), seq \(m.rest & 0xffff)"
    }

    private static func v4(_ m: ICMPMessage) -> String {
        let target = m.quoted.map { "\($0.destination)" } ?? "?"
        switch (m.type, m.code) {
        case (0, _): return echo(m, "echo reply")
        case (8, _): return echo(m, "echo request")
        case (3, 0): return "net \(target) unreachable"
        case (3, 1): return "host \(target) unreachable"
        case (3, 2): return "\(target) protocol \(m.quoted?.proto ?? 0) unreachable"
        case (3, 3): return "\(quotedPort(m)) unreachable"
        case (3, 4): return "\(target) unreachable - need to frag (mtu \(m.rest & 0xffff))"
        case (3, 13): return "\(target) unreachable - admin prohibited filter"
        case (3, let c): return "\(target) unreachable - code \(c)"
        case (11, 0): return "time exceeded in-transit"
        case (11, 1): return "ip reassembly time exceeded"
        case (let t, let c): return "type \(t), code \(c)"
        }
    }

    private static func v6(_ m: ICMPMessage) -> String {
        switch (m.type, m.code) {
        case (1, let c):
            let why = ["no route to destination", "administratively prohibited", "beyond scope of source address",
                       "unreachable address", "unreachable port", "source address failed ingress/egress policy",
                       "reject route to destination"]
            let reason = Int(c) < why.count ? why[Int(c)] : "code \(c)"
            return "destination unreachable, \(reason), \(quotedPort(m))"
        case (2, _): return "packet too big, mtu \(m.rest)"
        case (3, 0): return "time exceeded in-transit"
        case (3, _): return "time exceeded, reassembly"
        case (4, let c): return "parameter problem, code \(c)"
        case (128, _): return echo(m, "echo request")
        case (129, _): return echo(m, "echo reply")
        case (133, _): return "router solicitation"
        case (134, _): return "router advertisement"
        case (135, _): return "neighbor solicitation"
        case (136, _): return "neighbor advertisement"
        case (let t, let c): return "type \(t), code \(c)"
        }
    }
}
