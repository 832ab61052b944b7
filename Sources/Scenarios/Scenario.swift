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
    /// Every step, flat: a thread's steps follow its `.thread` step, repeats are unrolled.
    public var steps: [Step]
    /// Per step: the thread it runs on, its timeout, its line in the file.
    public var stepInfo: [StepInfo]
    public var expectations: [Expectation]
    /// Where the scenario came from (a file path, or `catalogue:NAME.yaml`).
    public var source: String
    /// Needs more than 5 s of kernel time: `run --all` skips it unless `--slow`.
    public var slow: Bool

    public init(name: String, summary: String, sysctls: [(name: String, value: String)] = [], steps: [Step],
                stepInfo: [StepInfo]? = nil, expectations: [Expectation], source: String = "", slow: Bool = false) {
        self.name = name
        self.summary = summary
        self.sysctls = sysctls
        self.steps = steps
        self.stepInfo = stepInfo ?? steps.map { _ in StepInfo() }
        self.expectations = expectations
        self.source = source
        self.slow = slow
    }

    /// How step N is named in a DIFF: `step 12 (line 30, thread server)`.
    public func describe(step: Int) -> String {
        guard step < stepInfo.count else { return "step \(step)" }
        let info = stepInfo[step]
        var parts: [String] = []
        if let line = info.line { parts.append("line \(line)") }
        if let thread = info.thread { parts.append("thread \(thread)") }
        return "step \(step)" + (parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")")
    }
}

/// Where a step runs and how long it may block.
public struct StepInfo: Sendable, Hashable {
    /// The scenario thread (nil: the scenario's main thread).
    public var thread: String?
    /// A blocking call of the step is interrupted after this long (10 s unless the file says).
    public var timeoutMilliseconds: Int
    /// The step's line in its file (1-based).
    public var line: Int?
    /// Whether the kernel's socket table is read after the step. Reading it
    /// costs milliseconds, so the steps of a large repeat skip it unless an
    /// expectation of theirs needs it.
    public var snapshot = true

    public static let defaultTimeoutMilliseconds = 10_000

    public init(thread: String? = nil, timeoutMilliseconds: Int = StepInfo.defaultTimeoutMilliseconds, line: Int? = nil) {
        self.thread = thread
        self.timeoutMilliseconds = timeoutMilliseconds
        self.line = line
    }
}

/// Which address a step uses. `loopback` is 127.0.0.1 or ::1 by the run's
/// family; `any` the wildcard; `unspec` an AF_UNSPEC address (connect() with
/// it dissolves a UDP association, connect(2)).
public enum AddressSpec: Sendable, Hashable {
    case loopback
    case any
    case unspec
    /// A literal address; only 127.0.0.0/8, ::1 and the wildcards are accepted.
    case literal(IPAddress)
}

/// What `send` writes: text, or N bytes (to fill buffers).
public enum Payload: Sendable, Hashable {
    case text(String)
    case bytes(Int)

    public var bytes: [UInt8] {
        switch self {
        case .text(let t): Array(t.utf8)
        case .bytes(let n): [UInt8](repeating: UInt8(ascii: "x"), count: n)
        }
    }
}

/// One step of a scenario, on a named socket. `loopback` and `any` follow
/// the socket's family: its own `family`, else the run's (`--ipv6`).
public enum Step: Sendable, Hashable {
    /// socket(2); `ipv6` nil takes the run's family; `nonBlocking` is SOCK_NONBLOCK.
    case socket(String, udp: Bool, ipv6: Bool?, nonBlocking: Bool)
    case option(String, SocketOption)
    case nonBlocking(String)
    case bind(String, address: AddressSpec, port: UInt16)
    case listen(String, backlog: Int32)
    case connect(String, address: AddressSpec, port: UInt16)
    case accept(String, as: String)
    /// send(2); `signal`: without MSG_NOSIGNAL, so a broken connection raises SIGPIPE.
    case send(String, Payload, signal: Bool)
    case sendTo(String, address: AddressSpec, port: UInt16, data: String)
    case recv(String, capacity: Int, nonBlocking: Bool)
    case shutdown(String, how: ShutdownHow)
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
    /// Starts a thread that runs the next `count` steps, concurrently with what follows.
    case thread(String, count: Int)
    /// Waits until the thread has run all its steps.
    case join(String)

    /// The socket the step acts on (nil for sleep).
    public var socket: String? {
        switch self {
        case .socket(let s, _, _, _), .option(let s, _), .nonBlocking(let s), .bind(let s, _, _), .listen(let s, _),
             .connect(let s, _, _), .accept(let s, _), .send(let s, _, _), .sendTo(let s, _, _, _), .recv(let s, _, _), .shutdown(let s, _),
             .close(let s), .poll(let s, _, _), .socketError(let s), .getsockname(let s):
            s
        case .sleep, .firewall, .firewallFlush, .setSysctl, .readSysctl, .thread, .join:
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
    case kernelState(step: Int, socket: String, state: TCPState)
    /// Step N's call was interrupted by its timeout (`expect: timeout`).
    case timedOut(step: Int)
    /// Step N reports an output matching a pattern where `*` stands for anything
    /// (`address`/`peer` of getsockname and accept: `127.0.0.1:*`).
    case outputMatches(step: Int, name: String, pattern: String)
    /// After step N the kernel's `field` (recv_q, send_q, accept_queue, syn_queue) of `socket` is in `range`.
    case queue(step: Int, socket: String, field: String, range: ClosedRange<Int>)
    /// accept() of step N returned the connection of the client socket `client` (its peer is the client's name).
    case accepted(step: Int, client: String)
    /// Step N raised this signal (`SIGPIPE`), or none when nil.
    case raised(step: Int, signal: String?)
    /// The endpoint states inferred from the wire for the connection's
    /// originator or responder pass through these states in this order.
    case endpointStates(originator: Bool, [TCPState])
    /// The kernel sent an RST with this tcp_send_reset reason (`reset: {reason: NO_SOCKET}`).
    case resetReason(ResetReason)
    /// The kernel dropped a segment for this reason (`dropped: TCP_LISTEN_OVERFLOW`).
    case dropped(DropReason)
    /// A segment was sent by this kernel timer (`timer: tcp_write_timer`).
    case timer(String)
    /// A namespace counter moved by an amount in `range`: over the whole run (step nil), or during step N.
    case counter(step: Int?, name: String, range: ClosedRange<Int64>, text: String)
}
