import Scenarios
import TestSupport
import Testing
import TraceModel

/// Threads, repeats, timeouts, output expectations, signals and families in
/// scenario files; every mistake in one of them named with its line.
@Suite("scenario language")
struct ScenarioLanguageTests {
    static let file = """
    name: language
    summary: All the new keys.
    slow: true
    steps:
      - socket: {socket: listener, family: ipv6}
      - bind: {socket: listener, address: any6, port: 7000}
      - listen: {socket: listener, backlog: 4}
      - thread: server
        steps:
          - accept: {socket: listener, as: conn, timeout: 3000, peer: "[::1]:*", address: "[::1]:7000"}
          - recv: {socket: conn, max: 8, timeout: 200, expect: timeout}
      - repeat: 3
        steps:
          - socket: {socket: "c{i}", family: ipv6, nonblocking: true}
          - bind: {socket: "c{i}", port: "{7010+i}"}
          - connect: {socket: "c{i}", port: 7000, expect: EINPROGRESS}
      - join: server
      - accept: {socket: listener, as: second, accepted: c1, accept_queue: 1, syn_queue: "0..2", recv_q: {second: 0}}
      - send: {socket: second, bytes: 200000, signal: true, raised: none, send_q: "0..200000"}
      - send: {socket: c2, data: hi, expect: EWOULDBLOCK}
      - getsockname: {socket: c0, address: "*:7010"}
    """

    @Test func parsesThreadsRepeatsAndOutputs() throws {
        let s = try ScenarioFile.parse(Self.file, source: "language.yaml")
        #expect(s.slow)
        // 3 + thread + 2 + 3×3 + join + 4
        #expect(s.steps.count == 20)
        #expect(s.steps[0] == .socket("listener", udp: false, ipv6: true, nonBlocking: false))
        #expect(s.steps[1] == .bind("listener", address: .literal(.v6(.any)), port: 7000))
        #expect(s.steps[3] == .thread("server", count: 2))
        #expect(s.stepInfo[4].thread == "server" && s.stepInfo[4].timeoutMilliseconds == 3000)
        #expect(s.stepInfo[5].timeoutMilliseconds == 200)
        #expect(s.stepInfo[6].thread == nil && s.stepInfo[6].timeoutMilliseconds == StepInfo.defaultTimeoutMilliseconds)
        #expect(s.steps[6] == .socket("c0", udp: false, ipv6: true, nonBlocking: true))
        #expect(s.steps[10] == .bind("c1", address: .loopback, port: 7011))
        #expect(s.steps[14] == .connect("c2", address: .loopback, port: 7000))
        #expect(s.steps[15] == .join("server"))
        #expect(s.steps[17] == .send("second", .bytes(200_000), signal: true))
        #expect(s.stepInfo[10].line == 15)
        #expect(s.expectations.contains(.timedOut(step: 5)))
        #expect(s.expectations.contains(.outputMatches(step: 4, name: "peer", pattern: "[::1]:*")))
        #expect(s.expectations.contains(.outputMatches(step: 4, name: "addr", pattern: "[::1]:7000")))
        #expect(s.expectations.contains(.accepted(step: 16, client: "c1")))
        #expect(s.expectations.contains(.queue(step: 16, socket: "listener", field: "accept_queue", range: 1...1)))
        #expect(s.expectations.contains(.queue(step: 16, socket: "listener", field: "syn_queue", range: 0...2)))
        #expect(s.expectations.contains(.queue(step: 16, socket: "second", field: "recv_q", range: 0...0)))
        #expect(s.expectations.contains(.raised(step: 17, signal: nil)))
        #expect(s.expectations.contains(.outcome(step: 18, Errno(rawValue: 11))))
        #expect(s.describe(step: 5) == "step 5 (line 11, thread server)")
    }

    @Test func smallRepeatsKeepSnapshotsLargeOnesOnlyWhereNeeded() throws {
        let text = """
        name: x
        summary: y
        steps:
          - socket: l
          - repeat: 20
            steps:
              - socket: s{i}
              - getsockname: {socket: "s{i}", kernel: {l: CLOSED}}
        """
        let s = try ScenarioFile.parse(text, source: "x.yaml")
        #expect(s.stepInfo[1].snapshot == false && s.stepInfo[2].snapshot == true)
    }

    static let head = "name: x\nsummary: y\nsteps:\n  - socket: a\n"

    /// (file, line, words the message must contain)
    static let mistakes: [(String, Int?, String)] = [
        (head + "  - repeat: 0\n    steps:\n      - close: a\n", 5, "between 1 and 10000"),
        (head + "  - repeat: 5000\n    steps:\n      - sleep: 1\n      - sleep: 1\n      - sleep: 1\n", 5, "more than 10000 steps"),
        (head + "  - repeat: 2\n", 5, "'- thread: NAME' or '- repeat: N'"),
        (head + "  - repeat: 2\n    steps: []\n", 6, "repeat needs a list of steps"),
        (head + "  - repeat: 2\n    steps:\n      - close: a\n    extra: 1\n", 5, "a block is"),
        (head + "  - thread: t\n    steps:\n      - thread: u\n        steps:\n          - close: a\n", 7, "not inside thread 't'"),
        (head + "  - thread: t\n    steps:\n      - close: a\n  - thread: t\n    steps:\n      - sleep: 1\n", 8, "already exists"),
        (head + "  - thread: bad name\n    steps:\n      - close: a\n", 5, "thread name"),
        (head + "  - join: t\n", 5, "no thread named 't'"),
        (head + "  - thread: t\n    steps:\n      - close: a\n  - join: t\n  - join: t\n", 9, "already joined"),
        (head + "  - thread: t\n    steps:\n      - join: t\n", 7, "only from the scenario's main steps"),
        (head + "  - accept: {socket: a, as: b, timeout: 0}\n", 5, "timeout must be between 1 and 600000"),
        (head + "  - close: a{i}\n", 5, "replaced only inside a repeat"),
        (head + "  - send: {socket: a, data: x, bytes: 3}\n", 5, "data or bytes, not both"),
        (head + "  - send: {socket: a}\n", 5, "needs 'data'"),
        (head + "  - send: {socket: a, bytes: 0}\n", 5, "bytes must be between"),
        (head + "  - send: {socket: a, data: x, signal: maybe}\n", 5, "signal must be true or false"),
        (head + "  - send: {socket: a, data: x, raised: SIGSEGV}\n", 5, "raised must be SIGPIPE or none"),
        (head + "  - socket: {socket: b, family: ipv5}\n", 5, "family must be ipv4 or ipv6"),
        (head + "  - connect: {socket: a, port: 1, peer: '*'}\n", 5, "only accept reports a peer"),
        (head + "  - connect: {socket: a, port: 1, accepted: a}\n", 5, "accepted is for accept steps"),
        (head + "  - accept: {socket: a, as: b, accepted: ghost}\n", 5, "no socket named 'ghost'"),
        (head + "  - getsockname: {socket: a, recv_q: lots}\n", 5, "a count (3) or a range (2..5)"),
        (head + "  - getsockname: {socket: a, accept_queue: {ghost: 1}}\n", 5, "no socket named 'ghost'"),
        (head + "  - sleep: 10\n  - getsockname: {socket: a, syn_queue: 5..2}\n", 6, "a count (3) or a range"),
        (head + "  - connect: {socket: a, port: 1, address: 10.0.0.1}\n", 5, "any6"),
        (head + "  - connect: {socket: a, port: 1, expect: EWOULDBLOCKS}\n", 5, "ok, timeout or an errno name"),
        ("name: x\nsummary: y\nslow: sometimes\nsteps:\n  - socket: a\n", 3, "slow must be true or false"),
    ]

    @Test("every mistake with the new keys names its line", arguments: mistakes.indices)
    func mistake(_ i: Int) {
        let (text, line, words) = Self.mistakes[i]
        ScenarioMistake.expect(text, line: line, words: words, case: i)
    }

    @Test func everyErrnoNameIsKnown() {
        #expect(Errno(name: "EWOULDBLOCK") == Errno(name: "EAGAIN"))
        #expect(Errno(name: "EWOULDBLOCK")?.name == "EAGAIN")
        #expect(Errno(name: "EDESTADDRREQ")?.rawValue == 89)
        #expect(Errno(name: "ENOTCONN")?.rawValue == 107)
        #expect(Errno(name: "EBADF")?.rawValue == 9)
        #expect(Errno(name: "EHWPOISON")?.rawValue == 133)
        #expect(Errno(name: "EDESTADDRREQ")?.message == "Destination address required")
        // Every number from 1 to 133 has a name, and that name gives the number back.
        for n in Int32(1)...133 where n != 41 && n != 58 {
            let e = Errno(rawValue: n)
            #expect(!e.name.hasPrefix("errno"), "\(n)")
            #expect(Errno(name: e.name) == e, "\(e.name)")
        }
    }
}
