import Scenarios
import TestSupport
import Testing
import TraceModel

/// Scenario files: a good one parses into steps and expectations; every
/// mistake is reported with its line, before anything runs.
@Suite("scenario files")
struct ScenarioFileTests {
    static let good = """
    name: sample
    summary: >
      A sample.
    sysctls:
      net.ipv4.tcp_syn_retries: 1
    steps:
      - socket: listener
      - setsockopt: {socket: listener, option: SO_REUSEADDR}
      - bind: {socket: listener, port: 5000}
      - listen: {socket: listener, backlog: 4}
      - socket: {socket: u, type: udp}
      - socket: client
      - connect: {socket: client, port: 5000, expect: ok, returns_after: "S."}
      - accept: {socket: listener, as: server, kernel: {server: ESTABLISHED}}
      - recv: {socket: server, max: 10, nonblocking: true, expect: EAGAIN}
      - sysctl: {net.ipv4.tcp_tw_reuse: 1}
      - sleep: 10
      - close: client
    expect:
      flags: 'S S\\. \\.'
      originator_states: [SYN-SENT, ESTABLISHED]
    """

    @Test func goodFileParses() throws {
        let s = try ScenarioFile.parse(Self.good, source: "good.yaml")
        #expect(s.name == "sample")
        #expect(s.sysctls.map(\.name) == ["net.ipv4.tcp_syn_retries"])
        #expect(s.steps.count == 12)
        #expect(s.steps[6] == .connect("client", address: .loopback, port: 5000))
        #expect(s.steps[9] == .setSysctl(name: "net.ipv4.tcp_tw_reuse", value: "1"))
        #expect(s.expectations.contains(.outcome(step: 6, nil)))
        #expect(s.expectations.contains(.returnedAfter(step: 6, flags: "S.")))
        #expect(s.expectations.contains(.kernelState(step: 7, socket: "server", state: .established)))
        #expect(s.expectations.contains(.outcome(step: 8, .wouldBlock)))
        #expect(s.expectations.contains(.endpointStates(originator: true, [.synSent, .established])))
    }

    /// (file, line, words the message must contain)
    static let mistakes: [(String, Int?, String)] = [
        ("", nil, "empty"),
        ("name: x\nsummary: y\nsteps: [\n", 4, "not valid YAML"),
        ("name: x\nsummary: y\nsteps:\n  - socket: a\ncolour: red\n", 5, "unknown key 'colour'"),
        ("summary: y\nsteps:\n  - socket: a\n", 1, "no name"),
        ("name: bad name\nsummary: y\nsteps:\n  - socket: a\n", 1, "letters, digits"),
        ("name: x\nsummary: y\nsteps:\n  - socket: a\n  - connect: {socket: b, port: 5}\n", 5, "no socket named 'b'"),
        ("name: x\nsummary: y\nsteps:\n  - socket: a\n  - connect: {socket: a}\n", 5, "needs 'port'"),
        ("name: x\nsummary: y\nsteps:\n  - socket: a\n  - connect: {socket: a, port: 70000}\n", 5, "between 0 and 65535"),
        ("name: x\nsummary: y\nsteps:\n  - socket: a\n  - connect: {socket: a, port: 5, adress: any}\n", 5, "connect has no 'adress'"),
        ("name: x\nsummary: y\nsteps:\n  - socket: a\n  - teleport: a\n", 5, "unknown step 'teleport'"),
        ("name: x\nsummary: y\nsteps:\n  - socket: a\n  - connect: {socket: a, port: 5, address: 10.0.0.1}\n", 5, "never sends beyond loopback"),
        ("name: x\nsummary: y\nsteps:\n  - socket: a\n  - connect: {socket: a, port: 5, expect: ENOPE}\n", 5, "errno name"),
        ("name: x\nsummary: y\nsteps:\n  - socket: a\n  - socket: a\n", 5, "already exists"),
        ("name: x\nsummary: y\nsysctls:\n  kernel.panic: 1\nsteps:\n  - socket: a\n", 4, "only net.*"),
        ("name: x\nsummary: y\nsteps:\n  - socket: a\nexpect:\n  flags: '('\n", 6, "not a valid regular expression"),
        ("name: x\nsummary: y\nsteps:\n  - socket: a\nexpect:\n  originator_states: [SYN-SEND]\n", 6, "unknown TCP state"),
        ("name: x\nsummary: y\nsteps:\n  - setsockopt: {socket: a, option: SO_REUSEADDR}\n", 4, "no socket named 'a'"),
        ("name: x\nsummary: y\nsteps:\n  - socket: a\n  - setsockopt: {socket: a, option: SO_FOO}\n", 5, "unknown option"),
        ("name: x\nsummary: y\nsteps:\n  - socket: a\n  - firewall: {hook: forward, rule: drop}\n", 5, "input or output"),
        ("name: x\nsummary: y\nsteps: []\n", 3, "list of steps"),
    ]

    @Test("every mistake names its line", arguments: mistakes.indices)
    func mistake(_ i: Int) {
        let (text, line, words) = Self.mistakes[i]
        ScenarioMistake.expect(text, line: line, words: words, case: i)
    }

    @Test("every built-in scenario parses, and `list` has the 22 of the first issue and the 13 of issue 12, in order")
    func catalogue() {
        let names = Catalogue.all.map(\.name)
        #expect(names == ["connect", "self-connect", "close", "unlistened-port", "connect-without-accept", "simultaneous-open",
                          "bound-not-listening", "close-unread-data", "linger-zero", "half-close", "write-after-reset",
                          "backlog-overflow", "ephemeral-port", "bind-conflict", "time-wait-rebind", "reuseport-same-tuple",
                          "connect-twice", "nonblocking-connect", "connect-timeout", "udp-connect", "tw-reuse", "keepalive",
                          "somaxconn-cap", "accept-nonblocking", "syn-flood-cookies", "data-retransmit-timeout", "peer-reboot",
                          "same-port-different-addresses", "wildcard-source-address", "readable-on-fin", "ephemeral-self-connect",
                          "udp-reconnect", "sigpipe", "tw-reuse-server-side", "concurrent-connect"])
        #expect(Catalogue.all.allSatisfy { !$0.summary.isEmpty && !$0.expectations.isEmpty })
    }
}
