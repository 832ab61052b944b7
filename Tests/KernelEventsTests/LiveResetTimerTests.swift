@testable import Analysis
import Capture
import Foundation
import Glibc
import KernelEvents
import PacketWire
import Sockets
import TestSupport
import Testing
import TraceModel

/// Active resets (close with unread data, SO_LINGER 0, a listener closed with a connection nobody
/// accepted) and keepalive probes: every RST gets the reason that the
/// raw tcp_send_reset lines of its ports give, and the timers' segments are attested to them.
extension LiveKernel {
    @Suite struct LiveResetTimerTests {
        @Test(.enabled(if: Live.enabled, Live.reason)) func activeResetsAndTimers() throws {
            let run = try Live.onThread { () throws -> TracedRun in
                try NetworkNamespace.enterNew()
                let device = "syn-" + String(UInt16.random(in: 0x1000...0xffff), radix: 16)
                try NetworkNamespace.renameLoopback(to: device)
                let capture = try LiveCapture(device: device, filter: "")
                let tracer = try KernelTracer(device: device)
                try tracer.start()
                let listener = Net.socketTCP()
                #expect(Net.bind(listener, 7400) == 0)
                #expect(listen(listener, 8) == 0)
                func pair() -> (Int32, Int32) {
                    let c = Net.socketTCP()
                    #expect(Net.connect(c, 7400) == 0)
                    return (c, accept(listener, nil, nil))
                }
                // Close with unread data: TCP_ABORT_ON_CLOSE.
                let (c1, s1) = pair()
                #expect(send(c1, "unread", 6, 0) == 6)
                usleep(20_000)
                close(s1)
                close(c1)
                // SO_LINGER with a zero timeout.
                let (c2, s2) = pair()
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(c2, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                close(c2)
                usleep(20_000)
                close(s2)
                // Keepalive probes after 1 s idle, every 1 s.
                let (c3, s3) = pair()
                var one: Int32 = 1
                setsockopt(c3, SOL_SOCKET, SO_KEEPALIVE, &one, 4)
                setsockopt(c3, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &one, 4)
                setsockopt(c3, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &one, 4)
                usleep(2_300_000)
                capture.drain()
                close(s3)
                close(c3)
                // A connection nobody accepted when the listener closes.
                let c4 = Net.socketTCP()
                #expect(Net.connect(c4, 7400) == 0)
                usleep(20_000)
                close(listener)
                usleep(20_000)
                close(c4)
                capture.drainUntilQuiet(settle: 300_000_000)
                let raw = Live.readAll("/sys/kernel/tracing/instances/\(tracer.name)/trace")
                let recording = tracer.stop()
                return TracedRun(device: device, thread: Live.tid, packets: outgoingCopies(capture.packets), recording: recording, raw: raw,
                                 counters: [:], instance: tracer.name)
            }
            let a = attest(run)
            let s = segments(run.packets)
            #expect(run.recording.lost == 0)
            #expect(a.count == run.packets.count, "unattested frames: \(Set(run.packets.map(\.frame)).subtracting(a.keys).sorted())")

            // Reasons of the RSTs against the raw lines that name port 7400 (this run's), read as plain text.
            let rawReasons = run.raw.split(separator: "\n")
                .filter { $0.contains(" tcp_send_reset: ") && $0.contains(":7400 ") }
                .compactMap { $0.split(separator: " ").last(where: { $0.hasPrefix("reason=") }).map { String($0.dropFirst(7)) } }
            let rsts = s.filter { $0.tcp.flags.contains(.rst) }
            let reasons = rsts.compactMap { a[$0.frame]?.resetReason }
            print("resets: \(rsts.count) RSTs, reasons \(reasons), raw \(rawReasons)")
            #expect(reasons.count == rsts.count)
            #expect(reasons.map(\.rawValue).sorted() == rawReasons.sorted())
            #expect(reasons.contains("TCP_ABORT_ON_CLOSE"))
            #expect(rsts.allSatisfy { a[$0.frame]?.resetHasSocket == true })

            // Keepalive probes: the keepalive timer; they carry no data.
            let keepalive = s.filter { if case .timer("tcp_keepalive_timer") = a[$0.frame]?.origin { true } else { false } }
            #expect(keepalive.count >= 1)
            #expect(keepalive.allSatisfy { $0.tcp.flags == .ack })
            // Their answers are replies to them.
            for probe in keepalive {
                let answer = s.first { $0.frame > probe.frame && $0.tcp.destinationPort == probe.tcp.sourcePort }
                #expect(answer.flatMap { a[$0.frame]?.origin } == .reply(toFrame: probe.frame))
            }
            var origins: [String: Int] = [:]
            for v in a.values {
                switch v.origin {
                case .syscall: origins["syscall", default: 0] += 1
                case .reply: origins["reply", default: 0] += 1
                case .timer(let f): origins[f, default: 0] += 1
                }
            }
            print("origins: \(origins.sorted { $0.key < $1.key })")
        }
    }
}
