import Foundation
import TestSupport
import Testing

/// SIGINT at random moments, and a run past its deadline: the capture so far
/// is saved as a valid pcapng marked interrupted, and nothing is left behind.
@Suite("interrupted runs", .serialized, .enabled(if: LiveSupport.enabled, LiveSupport.reason))
struct InterruptTests {
    /// What a run could leave behind on the host: mounts, tracing instances of
    /// that synscope process (named synscope-PID-N), network namespaces held by
    /// a synscope or nft process, stray synscope/nft processes of this test
    /// (children, or orphans adopted by init), and sockets on the scenarios' ports.
    /// Other processes on a shared machine are left out, so that the check is exact.
    struct HostTraces: Equatable {
        var mounts: String
        var instances: String
        var namespaces: String
        var children: String
        var sockets: String
    }

    static func host(pid: Int32? = nil) -> HostTraces {
        let me = getpid()
        let instance = pid.map { "synscope-\($0)-" } ?? "synscope-none-"
        return HostTraces(
            mounts: LiveSupport.shell("cat /proc/self/mounts"),
            instances: LiveSupport.shell("unshare -m sh -c 'mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null && ls /sys/kernel/tracing/instances' | grep '^\(instance)' || true"),
            namespaces: LiveSupport.shell("lsns -n -t net -o NS,PPID,COMMAND | awk '($3 == \"synscope\" || $3 == \"nft\") && ($2 == \(me) || $2 == 1)'"),
            children: LiveSupport.shell("ps -eo pid=,ppid=,comm= | awk '($3 == \"synscope\" || $3 == \"nft\") && ($2 == \(me) || $2 == 1)'"),
            sockets: LiveSupport.shell("ss -tanH '( sport = :5000 or sport = :5001 or sport = :6000 or dport = :5000 )'"))
    }

    /// Starts `synscope ARGS`, sends `signal` after `delay` seconds, and waits.
    static func interrupt(_ arguments: [String], after delay: Double, signal: Int32 = SIGINT) throws -> (status: Int32, stderr: String, pid: Int32) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: LiveSupport.binary)
        p.arguments = arguments
        let err = Pipe()
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = err
        try p.run()
        // The moments are counted from when synscope catches the signal (SigCgt in /proc/PID/status,
        // proc(5)): before that, a signal the parent ignores (a shell's background job) is ignored by
        // the child too, and one it does not ignore ends it, neither of which is what is tested here.
        let mask = UInt64(1) << UInt64(signal - 1)
        for _ in 0..<500 {
            let status = (try? String(contentsOfFile: "/proc/\(p.processIdentifier)/status", encoding: .utf8)) ?? ""
            let caught = status.split(separator: "\n").first { $0.hasPrefix("SigCgt:") }.flatMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) }
            if let caught, caught & mask != 0 { break }
            usleep(10_000)
        }
        usleep(UInt32(delay * 1_000_000))
        kill(p.processIdentifier, signal)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text, p.processIdentifier)
    }

    @Test("SIGINT at 20 random moments: a valid, marked file and nothing left behind")
    func randomSIGINT() throws {
        var random = SeededRandom(seed: 0x5159_4e53)
        let before = Self.host()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-int-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var interrupted = 0
        for i in 0..<20 {
            let delay = Double(random.next() % 1_500) / 1_000
            let out = "\(dir)/\(i)"
            let (status, stderr, pid) = try Self.interrupt(["run", "keepalive", "connect", "--out", out], after: delay)
            #expect(status == 130 || status == 0, "run \(i) (SIGINT after \(delay) s): exit \(status): \(stderr)")
            let files = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
            #expect(!files.contains { $0.hasSuffix(".partial") }, "run \(i): a partial file was left: \(files)")
            if status == 130 {
                interrupted += 1
                #expect(stderr.contains("interrupted by SIGINT"), "run \(i): \(stderr)")
                // The saved run opens offline and says it was interrupted.
                for f in files where f.hasSuffix(".pcapng") {
                    let reread = try LiveSupport.run(LiveSupport.binary, ["report", "--format", "json", "\(out)/\(f)"])
                    #expect(reread.status == 0, "run \(i): \(f) does not reload: \(reread.stderr)")
                    if f == "keepalive.pcapng" { #expect(reread.stdout.contains("interrupted by SIGINT"), "run \(i): \(f) is not marked") }
                    let tshark = try LiveSupport.run("/usr/bin/tshark", ["-r", "\(out)/\(f)", "-T", "fields", "-e", "frame.number"])
                    #expect(tshark.status == 0, "run \(i): tshark cannot read \(f): \(tshark.stderr)")
                }
            }
            #expect(Self.host(pid: pid) == before, "run \(i) (SIGINT after \(delay) s) left something behind")
        }
        // keepalive takes about 4 s: most of the 20 runs are interrupted, not finished.
        #expect(interrupted >= 15)
    }

    @Test("a run past its deadline stops, names the step it was in, exits 5")
    func deadline() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-deadline-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let before = Self.host()
        let out = try LiveSupport.run(LiveSupport.binary, ["run", "keepalive", "--deadline", "1", "--out", dir])
        #expect(out.status == 5, "\(out.stderr)")
        #expect(out.stderr.contains("interrupted by deadline (1 s) during step"), "\(out.stderr)")
        #expect(out.stdout.contains("DIFF keepalive"))
        #expect(FileManager.default.fileExists(atPath: "\(dir)/keepalive.pcapng"))
        #expect(Self.host() == before)
    }

    @Test("the end-of-run sentinel never reaches the saved file")
    func sentinelNotSaved() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synscope-sentinel-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = try LiveSupport.run(LiveSupport.binary, ["run", "connect", "udp-connect", "--out", dir])
        #expect(out.status == 0, "\(out.stderr)")
        for name in ["connect", "udp-connect"] {
            let bytes = try #require(FileManager.default.contents(atPath: "\(dir)/\(name).pcapng"))
            #expect(bytes.range(of: Data("synscope-sentinel".utf8)) == nil, "\(name): the sentinel is in the saved file")
            // Every UDP datagram tshark sees is one the scenario sent (udp-connect uses ports 5300-5302 and ephemeral ones from its sockets).
            let udp = try LiveSupport.run("/usr/bin/tshark", ["-r", "\(dir)/\(name).pcapng", "-Y", "udp", "-T", "fields", "-e", "udp.payload"])
            #expect(!udp.stdout.contains("73796e73636f70652d73656e74696e656c"), "\(name): sentinel payload seen by tshark")
        }
    }
}

/// A small deterministic generator (SplitMix64), so that a failing run can be repeated.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
