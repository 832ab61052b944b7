import Sockets
import TraceModel

/// A socket scenario: the calls to make, the namespace settings they need,
/// and what the kernel is expected to do, as tolerant patterns.
public struct Scenario: Sendable {
    public var name: String
    /// One paragraph: what the seed articles say and what the kernel does.
    public var summary: String
    /// Per-namespace sysctls, set before the first step.
    public var sysctls: [(name: String, value: String)]
    public var steps: [Step]
    public var expectations: [Expectation]
    /// Where the scenario came from (a file path, or `catalogue:NAME.yaml`).
    public var source: String

    public init(name: String, summary: String, sysctls: [(name: String, value: String)] = [], steps: [Step],
                expectations: [Expectation], source: String = "") {
        self.name = name
        self.summary = summary
        self.sysctls = sysctls
        self.steps = steps
        self.expectations = expectations
        self.source = source
    }
}

/// Which address a step uses. `loopback` is 127.0.0.1 or ::1 by the run's
/// family; `any` the wildcard; `unspec` an AF_UNSPEC address (connect() with
/// it dissolves a UDP association, connect(2)).
public enum AddressSpec: Sendable, Hashable {
    case loopback
    case any
    case unspec
    /// A literal address; only 127.0.0.0/8 and ::1 are accepted.
    case literal(IPAddress)
}

/// One step of a scenario, on a named socket. Addresses are the loopback
/// address of the run's family (127.0.0.1 or ::1) and a port.
public enum Step: Sendable, Hashable {
    case socket(String, udp: Bool)
    case option(String, SocketOption)
    case nonBlocking(String)
    case bind(String, address: AddressSpec, port: UInt16)
    case listen(String, backlog: Int32)
    case connect(String, address: AddressSpec, port: UInt16)
    case accept(String, as: String)
    case send(String, String)
    case sendTo(String, address: AddressSpec, port: UInt16, data: String)
    case recv(String, capacity: Int, nonBlocking: Bool)
    case shutdown(String, how: String)
    case close(String)
    case poll(String, writable: Bool, timeoutMilliseconds: Int32)
    case socketError(String)
    case getsockname(String)
    case sleep(milliseconds: Int)
    /// An nftables rule in the namespace's own table: `hook` is input or
    /// output, `rule` an nft rule body (`tcp dport 5000 tcp flags syn drop`).
    case firewall(hook: String, rule: String)
    /// Removes every rule the scenario added.
    case firewallFlush
    /// Sets a per-namespace sysctl in the middle of a run (recorded).
    case setSysctl(name: String, value: String)
    /// Reads a per-namespace sysctl and records its value (`ip_local_port_range`).
    case readSysctl(String)

    /// The socket the step acts on (nil for sleep).
    public var socket: String? {
        switch self {
        case .socket(let s, _), .option(let s, _), .nonBlocking(let s), .bind(let s, _, _), .listen(let s, _),
             .connect(let s, _, _), .accept(let s, _), .send(let s, _), .sendTo(let s, _, _, _), .recv(let s, _, _), .shutdown(let s, _),
             .close(let s), .poll(let s, _, _), .socketError(let s), .getsockname(let s):
            s
        case .sleep, .firewall, .firewallFlush, .setSysctl, .readSysctl:
            nil
        }
    }
}

/// What a scenario expects. Checked against what the run observed; an
/// expectation never produces output of its own.
public enum Expectation: Sendable, Hashable {
    /// Step N (0-based) fails with this errno, or succeeds when nil.
    case outcome(step: Int, Errno?)
    /// Step N returns this value (a byte count, 0 for end of file).
    case result(step: Int, Int)
    /// Step N reports this output (`SO_ERROR` → `ECONNREFUSED`, `revents` → `POLLOUT`).
    case output(step: Int, name: String, value: String)
    /// The TCP flags of every captured segment, in tcpdump notation joined by
    /// spaces (`S S. . P. .`), match this regular expression in full.
    case flags(String)
    /// The UDP datagrams and ICMP messages, as tokens joined by spaces
    /// (`udp icmp-port-unreachable`), match this regular expression in full.
    case datagrams(String)
    /// The blocking call of step N returned after a segment with these flags arrived.
    case returnedAfter(step: Int, flags: String)
    /// After step N the kernel showed `socket` in `state` (`TIME-WAIT`, …).
    case kernelState(step: Int, socket: String, state: String)
    /// The endpoint states inferred from the wire for the connection's
    /// originator or responder pass through these states in this order.
    case endpointStates(originator: Bool, [String])
}
