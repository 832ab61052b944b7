import Foundation
import TestSupport
import Testing

/// `synscope trace` on real programs nobody here wrote (curl, python3's http.server, OpenBSD nc,
/// socat), end to end through the binary: stdout passes through, the exit code is the command's,
/// and every segment's cause is checked in the JSON against the process that must have caused it.
/// Live: root or CI=true (under CI they run, never skip).
enum Live {
    static let isCI = LiveProcess.isCI
    static let enabled = LiveProcess.enabled
    static let reason: Comment = "trace needs root (namespaces, tracefs, capture); under CI=true it always runs"
    static let root = LiveProcess.root
    static var binary: String { LiveProcess.binary }

    struct Traced {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: [String: Any]
        var pcapng: String?

        var events: [[String: Any]] { json["events"] as? [[String: Any]] ?? [] }
        var calls: [[String: Any]] { events.filter { $0["kind"] as? String == "syscall" } }
        var segments: [[String: Any]] { events.filter { $0["kind"] as? String == "segment" } }
        func event(_ index: Int) -> [String: Any]? { events.first { $0["index"] as? Int == index } }
        /// The call a segment is attested to (nil unless the kernel attested a syscall cause).
        func causingCall(_ segment: [String: Any]) -> [String: Any]? {
            guard let cause = segment["cause"] as? [String: Any], cause["kind"] as? String == "syscall",
                  cause["source"] as? String == "kernel", let i = cause["event"] as? Int else { return nil }
            return event(i)
        }
        func processName(_ call: [String: Any]?) -> String? { (call?["process"] as? [String: Any])?["name"] as? String }
    }

    /// Runs `synscope trace ARGS -- COMMAND` with the JSON timeline in a file; `signal` is sent after `after` seconds.
    static func trace(_ command: [String], options: [String] = [], signal: (Int32, Double)? = nil) throws -> Traced {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-trace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("timeline.json").path
        let runs = dir.appendingPathComponent("runs").path
        let started = try LiveProcess.start(binary, ["trace", "--format", "json", "--output", json, "--out", runs] + options + ["--"] + command)
        if let (sig, after) = signal {
            usleep(UInt32(after * 1_000_000))
            kill(started.process.processIdentifier, sig)
        }
        let output = started.finish(within: 120, what: "synscope trace")
        let parsed = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))) as? [String: Any] ?? [:]
        let saved = (try? FileManager.default.contentsOfDirectory(atPath: runs))?.first.map { "\(runs)/\($0)" }
        var keep: String?
        if let saved {
            keep = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-trace-\(UUID().uuidString).pcapng").path
            try? FileManager.default.copyItem(atPath: saved, toPath: keep!)
        }
        return Traced(status: output.status, stdout: output.stdout, stderr: output.stderr, json: parsed, pcapng: keep)
    }

    static func shell(_ command: String) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try? p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Waits in the traced shell until something listens on `port` (ss reads sock_diag: no traffic).
    static func waitFor(_ port: Int) -> String { "until ss -ltnH | grep -q ':\(port) '; do sleep 0.05; done" }
}

@Suite("trace -- COMMAND", .serialized, .enabled(if: Live.enabled, Live.reason))
struct LiveTraceTests {
    @Test("curl against python3 -m http.server: every segment attested to the right process's call")
    func httpGet() throws {
        let t = try Live.trace(["sh", "-c", "python3 -m http.server 8000 --bind 127.0.0.1 >/dev/null 2>&1 & \(Live.waitFor(8000)); curl -s -o /dev/null -w '%{http_code}\\n' http://127.0.0.1:8000/; kill $!"])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stdout == "200\n", "curl's stdout passes through unchanged")
        #expect(t.json["scenario"] is NSNull)
        #expect((t.json["command"] as? [String])?.first == "sh")
        let segments = t.segments
        #expect(segments.count >= 9)
        // The SYN: curl's nonblocking connect(), EINPROGRESS.
        let syn = try #require(segments.first { $0["flags"] as? String == "S" })
        let connect = try #require(t.causingCall(syn))
        #expect(connect["call"] as? String == "connect" && connect["errno"] as? String == "EINPROGRESS")
        #expect(t.processName(connect) == "curl")
        // The SYN-ACK: a reply by the kernel for python3's listener.
        let synack = try #require(segments.first { $0["flags"] as? String == "S." })
        let cause = try #require(synack["cause"] as? [String: Any])
        #expect(cause["kind"] as? String == "reply" && cause["source"] as? String == "kernel" && cause["event"] as? Int == syn["index"] as? Int)
        // python3's accept() returns the connection: its peer is curl's end.
        let accept = try #require(t.calls.first { ($0["call"] as? String)?.hasPrefix("accept") == true })
        #expect(t.processName(accept) == "python3")
        #expect((accept["outputs"] as? [String: Any])?["peer"] as? String == "127.0.0.1:\(syn["sport"] as? Int ?? 0)")
        // Data: the request from curl's send call, the response from python3's.
        for data in segments where (data["payload_len"] as? Int ?? 0) > 0 {
            let call = try #require(t.causingCall(data), "data segment #\(data["index"] ?? "?") has no attested call")
            let fromClient = data["dport"] as? Int == 8000
            #expect(t.processName(call) == (fromClient ? "curl" : "python3"))
            #expect(["sendto", "sendmsg", "write", "writev"].contains(call["call"] as? String ?? ""))
        }
        // Every FIN from a close() or shutdown() (or the exit) of the process whose socket sent it.
        let fins = segments.filter { ($0["flags"] as? String)?.contains("F") == true }
        #expect(fins.count == 2)
        for fin in fins {
            let call = try #require(t.causingCall(fin), "FIN #\(fin["index"] ?? "?") has no attested call")
            #expect(["close", "shutdown", "exit"].contains(call["call"] as? String ?? ""))
            #expect((fin["sender"] as? String)?.hasPrefix(t.processName(call) ?? "-") == true)
        }
        #expect(t.segments.allSatisfy { ($0["cause"] as? [String: Any])?["source"] as? String == "kernel" })
        if let file = t.pcapng {
            defer { try? FileManager.default.removeItem(atPath: file) }
            // report and analyze --timeline read the saved file; tshark reads its comments.
            let report = Live.shell("'\(Live.binary)' report '\(file)'")
            #expect(report.status == 0 && report.output.contains("curl[") && report.output.contains("connect(fd=5"))
            let analyze = Live.shell("'\(Live.binary)' analyze --timeline '\(file)'")
            #expect(analyze.status == 0 && analyze.output.contains("python3["))
            let tshark = Live.shell("tshark -r '\(file)' -T fields -e frame.comment 2>&1")
            #expect(tshark.status == 0 && tshark.output.contains("connect"))
        } else {
            Issue.record("no pcapng saved: \(t.stderr)")
        }
    }

    @Test("curl to a port nobody listens on: ECONNREFUSED, and the RST is from no socket (NO_SOCKET)")
    func refusal() throws {
        let t = try Live.trace(["curl", "-s", "http://127.0.0.1:9/"])
        #expect(t.status == 7, "curl's own exit code (7: failed to connect): \(t.stderr)")
        let rst = try #require(t.segments.first { ($0["flags"] as? String)?.contains("R") == true })
        let kernel = try #require(rst["kernel"] as? [String: Any])
        #expect(kernel["reset_reason"] as? String == "NO_SOCKET")
        #expect(rst["sender"] is NSNull)
        let errors = t.calls.compactMap { call -> String? in
            if let e = call["errno"] as? String, e == "ECONNREFUSED" { return e }
            return ((call["outputs"] as? [String: Any])?["SO_ERROR"] as? String).flatMap { $0 == "ECONNREFUSED" ? $0 : nil }
        }
        #expect(!errors.isEmpty, "curl learns ECONNREFUSED from connect() or SO_ERROR")
    }

    @Test("nc -l and nc exchange a line; the client's shutdown is a half-close")
    func netcat() throws {
        let t = try Live.trace(["sh", "-c", "nc -l 127.0.0.1 7000 > /dev/null & \(Live.waitFor(7000)); echo hello | nc -N 127.0.0.1 7000; wait"])
        #expect(t.status == 0, "\(t.stderr)")
        let data = try #require(t.segments.first { ($0["payload_len"] as? Int) == 6 })
        let send = try #require(t.causingCall(data))
        #expect(t.processName(send) == "nc")
        #expect(send["fd"] as? Int == (t.calls.first { $0["call"] as? String == "connect" }?["fd"] as? Int))
        // -N: shutdown(SHUT_WR) after EOF on stdin sends the first FIN; the listener's side answers with its own.
        let fins = t.segments.filter { ($0["flags"] as? String)?.contains("F") == true }
        let first = try #require(fins.first)
        let shut = try #require(t.causingCall(first))
        #expect(shut["call"] as? String == "shutdown")
        #expect(fins.count == 2)
    }

    @Test("a socat relay: two connections, each segment attested to the right process")
    func socatRelay() throws {
        let t = try Live.trace(["sh", "-c", """
            socat -u TCP-LISTEN:7001,bind=127.0.0.1,reuseaddr OPEN:/dev/null & \(Live.waitFor(7001)); \
            socat TCP-LISTEN:7002,bind=127.0.0.1,reuseaddr TCP:127.0.0.1:7001 & \(Live.waitFor(7002)); \
            echo relayed | socat -u STDIN TCP:127.0.0.1:7002; wait
            """])
        #expect(t.status == 0, "\(t.stderr)")
        let connections = t.json["connections"] as? [[String: Any]] ?? []
        #expect(connections.count == 2)
        for seg in t.segments {
            let cause = seg["cause"] as? [String: Any]
            #expect(cause?["source"] as? String == "kernel")
            guard let call = t.causingCall(seg) else { continue }
            #expect(t.processName(call) == "socat")
            // The call was made on the socket that sent the segment.
            #expect(call["socket"] as? String == seg["sender"] as? String, "#\(seg["index"] ?? "?"): \(call["socket"] ?? "") vs \(seg["sender"] ?? "")")
        }
        let processes = (t.json["processes"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(processes.filter { $0 == "socat" }.count == 3)
    }

    @Test("--host: a server already running in the host namespace; only the traced client's segments")
    func hostMode() throws {
        let port = 17_000 + Int(getpid() % 1000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1"]
        server.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        server.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        var ready = false
        for _ in 0..<100 where !ready {
            ready = Live.shell("ss -ltnH | grep -q ':\(port) '").status == 0
            if !ready { usleep(50_000) }
        }
        #expect(ready, "the host server did not start")
        // Other traffic on lo while the trace runs: another curl, not traced.
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/bin/sh")
        other.arguments = ["-c", "for i in 1 2 3 4 5; do curl -s -o /dev/null http://127.0.0.1:\(port)/; sleep 0.1; done"]
        try other.run()
        let t = try Live.trace(["sh", "-c", "sleep 0.2; curl -s -o /dev/null http://127.0.0.1:\(port)/"], options: ["--host"])
        other.waitUntilExit()
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.json["namespace"] as? String == "host")
        let connections = t.json["connections"] as? [[String: Any]] ?? []
        #expect(connections.count == 1, "only the traced curl's connection")
        let syn = try #require(t.segments.first { $0["flags"] as? String == "S" })
        #expect(t.processName(t.causingCall(syn)) == "curl")
        // The server is not traced: its segments are replies or calls of no traced process.
        #expect(t.calls.allSatisfy { t.processName($0) != "python3" })
        #expect(((t.json["left_out"] as? [String: Any])?["packets"] as? Int ?? 0) > 0, "the other curl's packets are left out and counted")
    }

    @Test("SIGINT in the middle: a valid pcapng, exit 130, and no namespace, mount, instance or process left")
    func sigint() throws {
        let before = Self.leftovers()
        let t = try Live.trace(["sh", "-c", "python3 -m http.server 8000 --bind 127.0.0.1 >/dev/null 2>&1 & \(Live.waitFor(8000)); while true; do curl -s -o /dev/null http://127.0.0.1:8000/; sleep 0.1; done"],
                               signal: (SIGINT, 3))
        #expect(t.status == 130, "\(t.stderr)")
        #expect(t.json["interrupted"] as? String == "SIGINT")
        let file = try #require(t.pcapng)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let tshark = Live.shell("tshark -r '\(file)' -q -z conv,tcp 2>&1")
        #expect(tshark.status == 0 && tshark.output.contains("<->"), "\(tshark.output)")
        usleep(300_000)
        #expect(Self.leftovers() == before)
    }

    @Test("a 1,000-request curl loop: every connection attested, reported as one table row each")
    func thousandRequests() throws {
        let t = try Live.trace(["sh", "-c", "python3 -m http.server 8000 --bind 127.0.0.1 >/dev/null 2>&1 & \(Live.waitFor(8000)); i=0; while [ $i -lt 1000 ]; do curl -s -o /dev/null http://127.0.0.1:8000/ || exit 1; i=$((i+1)); done; kill $!"])
        #expect(t.status == 0, "\(t.stderr)")
        let connections = t.json["connections"] as? [[String: Any]] ?? []
        #expect(connections.count == 1000)
        #expect(t.segments.allSatisfy { ($0["cause"] as? [String: Any])?["source"] as? String == "kernel" })
        #expect(t.calls.filter { $0["call"] as? String == "connect" && t.processName($0) == "curl" }.count == 1000)
        let file = try #require(t.pcapng)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let text = Live.shell("'\(Live.binary)' report '\(file)'")
        #expect(text.status == 0)
        let rows = text.output.split(separator: "\n").filter { $0.hasPrefix("  #") && $0.contains(" connect()") }
        #expect(rows.count == 1000, "one row per connection")
        #expect(text.output.contains("1000 connections"))
        let html = Live.shell("'\(Live.binary)' report --format html '\(file)'")
        #expect(html.status == 0 && html.output.components(separatedBy: "<tr><td>#").count - 1 == 1000)
        #expect(!html.output.contains("<svg"), "no diagram of 2,001 lanes")
    }

    @Test("a command that does not exist: 127 and one message; bad usage: 1")
    func notFound() throws {
        let t = try Live.trace(["synscope-no-such-command"])
        #expect(t.status == 127)
        #expect(t.stderr.contains("synscope-no-such-command: command not found"))
        #expect(Live.shell("'\(Live.binary)' trace 2>&1").status == 1)
    }

    @Test("as user nobody: one clear message, exit 2, and the command never runs", arguments: [[], ["--host"]])
    func unprivileged(_ options: [String]) throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-ran-\(UUID().uuidString)").path
        let r = Live.shell("cd /tmp && setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all '\(Live.binary)' trace \(options.joined(separator: " ")) -- touch '\(marker)' 2>&1; echo \"exit $?\"")
        #expect(r.output.hasSuffix("exit 2\n"), "\(r.output)")
        // The namespace needs CAP_SYS_ADMIN; with --host the capture (CAP_NET_RAW) is the first refusal.
        #expect(r.output.contains(options.isEmpty ? "CAP_SYS_ADMIN" : "CAP_NET_RAW") && r.output.contains("run synscope as root"))
        #expect(r.output.split(separator: "\n").count == 2, "one message")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    /// Tracing instances, mounts, network namespaces and processes a trace could leave behind.
    static func leftovers() -> String {
        let parts = [
            Live.shell("unshare -m sh -c 'mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; ls /sys/kernel/tracing/instances' | grep '^synscope-' || true").output,
            Live.shell("grep -c tracefs /proc/self/mounts || true").output,
            Live.shell("lsns -n -t net -o NS,COMMAND | grep -E 'python3|curl|synscope' || true").output,
            Live.shell("ps -eo comm= | grep -E '^(python3|curl|http.server)$' || true").output,
        ]
        return parts.joined(separator: "\n--\n")
    }
}
