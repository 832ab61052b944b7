import TraceModel

/// A conjunction of `key=value` terms that selects connections:
/// `handshake=refused`, `teardown=graceful`, `conn_state=REJ`,
/// `port=8080` (either endpoint), `addr=::1` (either endpoint),
/// `finding=retransmission`, `id=3`. Terms are separated by spaces or
/// commas; a connection must match all of them.
public struct ConnectionFilter: Sendable {
    enum Term: Sendable {
        case handshake(HandshakeClass)
        case teardown(TeardownClass)
        case connState(String)
        case port(UInt16)
        case address(String)
        case finding(Finding)
        case id(Int)
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    let terms: [Term]

    public init(_ expression: String) throws(ParseError) {
        var terms: [Term] = []
        for raw in expression.split(whereSeparator: { $0 == " " || $0 == "," }) {
            let parts = raw.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw ParseError(description: "filter term '\(raw)' is not key=value")
            }
            let (key, value) = (parts[0], parts[1])
            switch key {
            case "handshake":
                guard let h = HandshakeClass(rawValue: value) else {
                    throw ParseError(description: "unknown handshake '\(value)'; one of \(HandshakeClass.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                terms.append(.handshake(h))
            case "teardown":
                guard let t = TeardownClass(rawValue: value) else {
                    throw ParseError(description: "unknown teardown '\(value)'; one of \(TeardownClass.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                terms.append(.teardown(t))
            case "conn_state": terms.append(.connState(value))
            case "port":
                guard let p = UInt16(value) else { throw ParseError(description: "port '\(value)' is not a number 0-65535") }
                terms.append(.port(p))
            case "addr": terms.append(.address(value))
            case "finding":
                guard let f = Finding(rawValue: value) else {
                    throw ParseError(description: "unknown finding '\(value)'; one of \(Finding.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                terms.append(.finding(f))
            case "id":
                guard let n = Int(value) else { throw ParseError(description: "id '\(value)' is not a number") }
                terms.append(.id(n))
            default:
                throw ParseError(description: "unknown filter key '\(key)'; use handshake, teardown, conn_state, port, addr, finding or id")
            }
        }
        self.terms = terms
    }

    public func matches(_ c: Connection) -> Bool {
        terms.allSatisfy { term in
            switch term {
            case .handshake(let h): c.handshake == h
            case .teardown(let t): c.teardown == t
            case .connState(let s): c.connState == s
            case .port(let p): c.originator.port == p || c.responder.port == p
            case .address(let a): c.originator.address.description == a || c.responder.address.description == a
            case .finding(let f): (c.findingCounts[f] ?? 0) > 0
            case .id(let n): c.id == n
            }
        }
    }
}
