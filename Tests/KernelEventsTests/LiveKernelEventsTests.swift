@testable import Analysis
import Capture
import Foundation
import Glibc
@testable import KernelEvents
import PacketWire
import Sockets
import TestSupport
import Testing
import TraceModel

/// What one traced run in a private namespace produced.
struct TracedRun: Sendable {
    var device: String
    var thread: Int32
    var packets: [CapturedPacket]
    var recording: KernelRecording
    /// The instance's trace text as the test read it itself, before stop().
    var raw: String
    var counters: [String: Int64]
    var instance: String
}

/// Connect, accept, send, close, and a SYN to a bound but not listening port, traced and captured on
/// a renamed loopback. `ports`: listening port and the bound-only port.
func tracedRun(ports: (UInt16, UInt16), during: (@Sendable () -> Void)? = nil) throws -> TracedRun {
    try Live.onThread {
        try NetworkNamespace.enterNew()
        let device = "syn-" + String(UInt16.random(in: 0x1000...0xffff), radix: 16)
        try NetworkNamespace.renameLoopback(to: device)
        let capture = try LiveCapture(device: device, filter: "")
        let t0 = RealtimeClock.now()
        let tracer = try KernelTracer(device: device)
        let t1 = RealtimeClock.now()
        try tracer.start()
        let t2 = RealtimeClock.now()
        let before = NetCounters.read()
        let t3 = RealtimeClock.now()
        let thread = Live.tid

        let listener = Net.socketTCP()
        #expect(Net.bind(listener, ports.0) == 0)
        #expect(listen(listener, 8) == 0)
        let client = Net.socketTCP()
        #expect(Net.connect(client, ports.0) == 0)
        let accepted = accept(listener, nil, nil)
        #expect(accepted >= 0)
        #expect(send(client, "hello", 5, 0) == 5)
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(recv(accepted, &buffer, 16, 0) == 5)
        close(client)
        usleep(50_000)
        close(accepted)
        close(listener)
        let bound = Net.socketTCP()
        #expect(Net.bind(bound, ports.1) == 0)
        let refused = Net.socketTCP()
        #expect(Net.connect(refused, ports.1) == -1 && errno == ECONNREFUSED)
        close(refused)
        close(bound)
        during?()

        capture.drainUntilQuiet(settle: 300_000_000)
        let after = NetCounters.read()
        // The raw text, read straight from the instance (this thread's private mount of tracefs).
        let raw = Live.readAll("/sys/kernel/tracing/instances/\(tracer.name)/trace")
        let t4 = RealtimeClock.now()
        let recording = tracer.stop()
        let t5 = RealtimeClock.now()
        print("tracer: init \(Timestamp.milliseconds(t1.nanoseconds - t0.nanoseconds)) ms, start \(Timestamp.milliseconds(t2.nanoseconds - t1.nanoseconds)) ms, "
            + "NetCounters.read \(Timestamp.milliseconds(t3.nanoseconds - t2.nanoseconds)) ms, stop \(Timestamp.milliseconds(t5.nanoseconds - t4.nanoseconds)) ms "
            + "(\(recording.events.count) events kept)")
        return TracedRun(device: device, thread: thread, packets: outgoingCopies(capture.packets), recording: recording, raw: raw,
                         counters: NetCounters.delta(before, after), instance: tracer.name)
    }
}

/// libpcap skips the second (incoming) copy of a looped-back packet only on a device named "lo"
/// (pcap-linux.c, lo_ifindex); on the renamed loopback it delivers both copies, the outgoing one first.
/// (A direction filter, "tcp and outbound", lost the first packet of the run here.) Keeps the first copy
/// of each, renumbered.
func outgoingCopies(_ packets: [CapturedPacket]) -> [CapturedPacket] {
    var waiting: [[UInt8]: Int] = [:]
    var result: [CapturedPacket] = []
    for p in packets {
        if let n = waiting[p.bytes], n > 0 { waiting[p.bytes] = n - 1; continue }
        waiting[p.bytes, default: 0] += 1
        var copy = p
        copy.frame = result.count + 1
        result.append(copy)
    }
    return result
}

struct Segment {
    var frame: Int
    var tcp: TCPHeader
}

func segments(_ packets: [CapturedPacket]) -> [Segment] {
    packets.compactMap { p in
        let decoded = p.bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: p.linkType, originalLength: p.originalLength) }
        return decoded.tcp.map { Segment(frame: p.frame, tcp: $0) }
    }
}

func attest(_ run: TracedRun) -> [Int: PacketAttestation] {
    KernelAttribution.attest(packets: run.packets.map { ($0.frame, $0.timestamp, $0.originalLength) }, events: run.recording.events)
}

extension LiveKernel {
    @Suite struct LiveKernelEventsTests {
        @Test(.enabled(if: Live.enabled, Live.reason)) func everyPacketIsAttested() throws {
            let run = try tracedRun(ports: (5000, 5001))
            let a = attest(run)
            let s = segments(run.packets)
            #expect(run.recording.lost == 0)
            #expect(s.count == run.packets.count && s.count >= 11)
            #expect(a.count == run.packets.count, "unattested frames: \(Set(run.packets.map(\.frame)).subtracting(a.keys).sorted())")

            let syn = try #require(s.first { $0.tcp.flags == .syn && $0.tcp.destinationPort == 5000 })
            #expect(a[syn.frame]?.origin == .syscall(thread: run.thread))
            let synAck = try #require(s.first { $0.tcp.flags == [.syn, .ack] && $0.tcp.sourcePort == 5000 })
            #expect(a[synAck.frame]?.origin == .reply(toFrame: syn.frame))
            let clientPort = syn.tcp.sourcePort
            let fin = try #require(s.first { $0.tcp.flags.contains(.fin) && $0.tcp.sourcePort == clientPort })
            #expect(a[fin.frame]?.origin == .syscall(thread: run.thread))
            let data = try #require(s.first { $0.tcp.flags.contains(.psh) && $0.tcp.sourcePort == clientPort })
            #expect(a[data.frame]?.origin == .syscall(thread: run.thread))
            let refusedSyn = try #require(s.first { $0.tcp.flags == .syn && $0.tcp.destinationPort == 5001 })
            #expect(a[refusedSyn.frame]?.origin == .syscall(thread: run.thread))
            #expect(a[refusedSyn.frame]?.fate == "NO_SOCKET")
            let rst = try #require(s.first { $0.tcp.flags.contains(.rst) && $0.tcp.sourcePort == 5001 })
            #expect(a[rst.frame]?.origin == .reply(toFrame: refusedSyn.frame))
            #expect(a[rst.frame]?.resetReason == "NO_SOCKET")
            #expect(a[rst.frame]?.resetHasSocket == false)
            // Only RSTs carry a reset reason; nothing was retransmitted.
            #expect(Set(a.filter { $0.value.resetReason != nil }.keys) == Set(s.filter { $0.tcp.flags.contains(.rst) }.map(\.frame)))
            #expect(a.values.allSatisfy { !$0.retransmit })

            // Against the raw text read by cat, and the namespace's own counters.
            let rawQueues = run.raw.split(separator: "\n").filter { $0.contains(" net_dev_queue: dev=\(run.device) ") }
            #expect(rawQueues.count == run.packets.count)
            // Process context: the third character of the flags column (after "[cpu]") is neither 's' nor 'h'/'H'.
            func inProcessContext(_ line: Substring) -> Bool {
                let words = line.split(separator: " ")
                guard let cpu = words.firstIndex(where: { $0.hasPrefix("[") && $0.hasSuffix("]") }), cpu + 1 < words.count else { return false }
                let flags = Array(words[cpu + 1])
                return flags.count == 5 && !"shHzZ".contains(flags[2])
            }
            #expect(rawQueues.filter { $0.contains("-\(run.thread) ") && inProcessContext($0) }.count
                == a.values.filter { $0.origin == .syscall(thread: run.thread) }.count)
            #expect(run.raw.contains("skaddr=0000000000000000 src=127.0.0.1:5001 dest=127.0.0.1:\(refusedSyn.tcp.sourcePort) state=UNKNOWN reason=NO_SOCKET"))
            #expect(run.counters["TcpOutRsts"] == Int64(s.filter { $0.tcp.flags.contains(.rst) }.count))
            #expect(run.counters["TcpActiveOpens"] == 2)

            // The clock mapping: each packet's pcap time against its net_dev_queue time.
            let matched = KernelAttribution.match(packets: run.packets.map { ($0.frame, $0.timestamp, $0.originalLength) }, events: run.recording.events)
            let gaps = matched.map { q, frame in run.packets[frame - 1].timestamp.nanoseconds - run.recording.events[q].time.nanoseconds }
            print("pcap − net_dev_queue (ns): min \(gaps.min() ?? 0) max \(gaps.max() ?? 0) over \(gaps.count) packets")
            #expect(gaps.allSatisfy { abs($0) < 200_000 })

            #expect(!Live.instances().contains(run.instance))
        }

        /// Another namespace's loopback (named `lo`, as the host's is) carries the same addresses and ports
        /// during the traced run, including a NO_SOCKET reset; none of it is attributed.
        @Test(.enabled(if: Live.enabled, Live.reason)) func otherNamespacesAreNotAttributed() throws {
            let stop = Flag()
            let ready = DispatchSemaphore(value: 0)
            let noise = Thread {
                // Never the host's namespace: without a namespace of its own this thread sends nothing.
                guard (try? NetworkNamespace.enterNew()) != nil else {
                    stop.failed = true
                    ready.signal()
                    stop.finished.signal()
                    return
                }
                let listener = Net.socketTCP()
                _ = Net.bind(listener, 5000)
                listen(listener, 64)
                ready.signal()
                while !stop.isSet {
                    let c = Net.socketTCP()
                    if Net.connect(c, 5000) == 0 { let s = accept(listener, nil, nil); close(c); close(s) } else { close(c) }
                    let r = Net.socketTCP()
                    _ = Net.connect(r, 5001)   // NO_SOCKET reset in that namespace
                    close(r)
                    usleep(1000)
                }
                close(listener)
                stop.finished.signal()
            }
            noise.start()
            ready.wait()
            #expect(!stop.failed, "the other namespace could not be made")
            let run = try tracedRun(ports: (5000, 5001)) { usleep(100_000) }
            stop.set()
            stop.finished.wait()

            let a = attest(run)
            let s = segments(run.packets)
            let queues = run.recording.events.filter { if case .devQueue = $0.kind { true } else { false } }
            let resets = run.recording.events.filter { if case .sendReset = $0.kind { true } else { false } }
            print("other namespace: \(resets.count) tcp_send_reset events recorded, \(s.filter { $0.tcp.flags.contains(.rst) }.count) RSTs captured")
            #expect(queues.count == run.packets.count)
            #expect(resets.count > s.filter { $0.tcp.flags.contains(.rst) }.count, "the other namespace's resets were not traced at all")
            #expect(a.count == run.packets.count)
            #expect(Set(a.filter { $0.value.resetReason != nil }.keys) == Set(s.filter { $0.tcp.flags.contains(.rst) }.map(\.frame)))
            #expect(a.values.allSatisfy { $0.fate == nil || $0.fate == "NO_SOCKET" || $0.fate == "NOT_SPECIFIED" },
                    "\(a.filter { $0.value.fate != nil }.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.fate!)" })")
            let refusedSyn = try #require(s.first { $0.tcp.flags == .syn && $0.tcp.destinationPort == 5001 })
            let rst = try #require(s.first { $0.tcp.flags.contains(.rst) && $0.tcp.sourcePort == 5001 })
            #expect(a[rst.frame]?.origin == .reply(toFrame: refusedSyn.frame))
            #expect(a.values.allSatisfy { if case .syscall(let t) = $0.origin { t == run.thread } else { true } })
        }

        @Test(.enabled(if: Live.enabled, Live.reason)) func nothingIsLeftBehind() throws {
            let hostMounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
            // remove() without stop(), as after an error or on SIGINT, called from another thread.
            let tracer = try Live.onThread { () throws -> KernelTracer in
                let t = try KernelTracer(device: "syn-none")
                try t.start()
                return t
            }
            #expect(Live.instances().contains(tracer.name))
            tracer.remove()
            tracer.remove()
            #expect(!Live.instances().contains(tracer.name))
            #expect(tracer.stop().lost == -1)
            // deinit after an abandoned run.
            let name = try Live.onThread { () throws -> String in
                let t = try KernelTracer(device: "syn-none")
                try t.start()
                return t.name
            }
            #expect(!Live.instances().contains(name))
            // A failing start (instance already gone) throws and leaves nothing.
            let failed = try Live.onThread { () throws -> Bool in
                let t = try KernelTracer(device: "syn-none")
                t.remove()
                do { try t.start(); return false } catch let e as EnvironmentError { return e.kind == .tracing }
            }
            #expect(failed)
            // A bad device name is refused before anything is created.
            #expect(throws: EnvironmentError.self) { try Live.onThread { try KernelTracer(device: "bad\"name") } }
            // An instance whose process is gone is removed by removeStale().
            let dead = Process()
            dead.executableURL = URL(fileURLWithPath: "/bin/true")
            try dead.run()
            dead.waitUntilExit()
            let stale = "synscope-\(dead.processIdentifier)-1"
            _ = Live.shell("unshare -m sh -c 'mount --make-rprivate / && mount -t tracefs nodev /sys/kernel/tracing && mkdir /sys/kernel/tracing/instances/\(stale)'")
            #expect(Live.instances().contains(stale))
            KernelTracer.removeStale()
            #expect(!Live.instances().contains(stale))
            // The host's mounts are as they were.
            #expect(try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) == hostMounts)
        }

        @Test(.enabled(if: Live.enabled, Live.reason)) func countersOfTheNamespace() throws {
            let (delta, counters, text) = try Live.onThread { () throws -> ([String: Int64], [String: Int64], String) in
                try NetworkNamespace.enterNew()
                let before = NetCounters.snapshot()
                let s = Net.socketTCP()
                #expect(Net.connect(s, 1) == -1)
                close(s)
                let after = NetCounters.snapshot()
                return (NetCounters.delta(before, after), NetCounters.read(),
                        Live.readAll("/proc/thread-self/net/netstat") + Live.readAll("/proc/thread-self/net/snmp"))
            }
            // One SYN out and its RST back, both on this namespace's loopback.
            #expect(delta["TcpOutRsts"] == 1 && delta["TcpActiveOpens"] == 1 && delta["TcpAttemptFails"] == 1)
            #expect(delta["TcpInSegs"] == 2 && delta["IpInReceives"] == 2)
            #expect(delta.keys.allSatisfy { counters[$0] != nil } && delta.values.allSatisfy { $0 > 0 })
            // Against the files split by hand: every "Prefix: names" line and the "Prefix: values" line after it.
            let lines = text.split(separator: "\n").map { $0.split(separator: " ") }
            var expected: [String: Int64] = [:]
            for (names, values) in zip(lines, lines.dropFirst()) where names.first == values.first && Int64(values.last ?? "") != nil && Int64(names.last ?? "") == nil {
                for (n, v) in zip(names.dropFirst(), values.dropFirst()) { expected[String(names[0].dropLast()) + n] = Int64(v) }
            }
            #expect(counters == expected)
            #expect(counters["TcpExtListenOverflows"] != nil && counters["TcpMaxConn"] == -1)
    }
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var failed = false
    let finished = DispatchSemaphore(value: 0)
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}

extension LiveKernel {
    @Suite struct LiveSyscallTests {
        @Test(.enabled(if: Live.enabled, Live.reason)) func socketCallsOfOneThread() throws {
            let (events, thread, fd) = try Live.onThread { () throws -> ([KernelEvent], Int32, Int32) in
                try NetworkNamespace.enterNew()
                let tracer = try KernelTracer(following: Live.tid)
                try tracer.start()
                let fd = Net.socketTCP()
                let r = Net.connect(fd, 9)
                #expect(r == -1 && errno == ECONNREFUSED)
                close(fd)
                return (tracer.stop().events, Live.tid, fd)
            }
            let calls = events.filter { if case .syscallEnter = $0.kind { true } else if case .syscallExit = $0.kind { true } else { false } }
            #expect(calls.count >= 6)
            #expect(calls.allSatisfy { $0.pid == thread && $0.context == .process })
            let kinds = calls.map(\.kind)
            #expect(kinds.contains(.syscallExit(name: .socket, result: Int64(fd))))
            #expect(kinds.contains { if case .syscallEnter("connect", let args) = $0 { args.first == UInt64(fd) && args.last == 16 } else { false } })
            #expect(kinds.contains(.syscallExit(name: .connect, result: -Int64(ECONNREFUSED))))
            #expect(kinds.contains(.syscallExit(name: .close, result: 0)))
            // The destination, in the connect() call's own context (tcp_v4_connect sets SYN_SENT).
            #expect(events.contains { e in
                if case .setState(_, let remote, "TCP_CLOSE", "TCP_SYN_SENT", _) = e.kind { e.pid == thread && remote?.port == 9 } else { false }
            })
        }
    }
}
