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

/// A busier run: 20 connections with data in both directions, and a SYN to an address routed to the
/// device but not local, retransmitted once by the write timer (tcp_syn_retries is set in the namespace).
extension LiveKernel {
    @Suite struct LiveBusyRunTests {
        @Test(.enabled(if: Live.enabled, Live.reason)) func everyPacketOfABusyRunIsAttested() throws {
            let run = try Live.onThread { () throws -> TracedRun in
                try NetworkNamespace.enterNew()
                let device = "syn-" + String(UInt16.random(in: 0x1000...0xffff), radix: 16)
                try NetworkNamespace.renameLoopback(to: device)
                try NetworkNamespace.setSysctl("net.ipv4.tcp_syn_retries", "1")
                _ = Live.shell("ip route add 10.9.9.0/24 dev \(device)")
                let capture = try LiveCapture(device: device, filter: "")
                let tracer = try KernelTracer(device: device)
                try tracer.start()
                let before = NetCounters.read()
                let listener = Net.socketTCP()
                #expect(Net.bind(listener, 6000) == 0)
                #expect(listen(listener, 64) == 0)
                var buffer = [UInt8](repeating: 0, count: 4096)
                for _ in 0..<20 {
                    let c = Net.socketTCP()
                    #expect(Net.connect(c, 6000) == 0)
                    let s = accept(listener, nil, nil)
                    #expect(send(c, buffer, 1000, 0) == 1000)
                    #expect(recv(s, &buffer, 1000, Int32(MSG_WAITALL)) > 0)
                    #expect(send(s, buffer, 300, 0) == 300)
                    #expect(recv(c, &buffer, 4096, 0) == 300)
                    close(s)
                    close(c)
                    capture.drain()   // the ring holds about 128 frames (8 MiB of 64 KiB frames on lo)
                }
                close(listener)
                // A SYN that nothing answers: 10.9.9.9 is routed to the device but not local.
                let lost = Net.socketTCP()
                var flags = fcntl(lost, F_GETFL)
                flags |= O_NONBLOCK
                _ = fcntl(lost, F_SETFL, flags)
                var target = sockaddr_in()
                target.sin_family = sa_family_t(AF_INET)
                target.sin_port = UInt16(5001).bigEndian
                target.sin_addr.s_addr = UInt32(0x0a09_0909).bigEndian
                let r = withUnsafePointer(to: &target) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(lost, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                #expect(r == -1 && errno == EINPROGRESS)
                usleep(1_300_000)
                close(lost)
                capture.drainUntilQuiet(settle: 300_000_000)
                #expect(capture.statistics().dropped == 0)
                let after = NetCounters.read()
                let recording = tracer.stop()
                return TracedRun(device: device, thread: Live.tid, packets: outgoingCopies(capture.packets), recording: recording, raw: "",
                                 counters: NetCounters.delta(before, after), instance: tracer.name)
            }
            let a = attest(run)
            let s = segments(run.packets)
            #expect(run.recording.lost == 0)
            #expect(s.count > 200)   // a Foundation Process (ip route) can add a UDP datagram; it is attested too
            #expect(a.count == run.packets.count, "unattested frames: \(Set(run.packets.map(\.frame)).subtracting(a.keys).sorted())")
            let lostSyns = s.filter { $0.tcp.flags == .syn && $0.tcp.destinationPort == 5001 }
            #expect(lostSyns.count == 2)
            #expect(lostSyns.first.flatMap { a[$0.frame] } == PacketAttestation(origin: .syscall(thread: run.thread), fate: "NO_SOCKET"))
            #expect(lostSyns.last.flatMap { a[$0.frame] } == PacketAttestation(origin: .timer(function: "tcp_write_timer"), retransmit: true, fate: "NO_SOCKET"))
            #expect(a.values.filter(\.retransmit).count == Int(run.counters["TcpRetransSegs"] ?? 0))
            #expect(a.values.filter { $0.resetReason != nil }.count == Int(run.counters["TcpOutRsts"] ?? 0))
            // Every SYN of the 20 connections came from connect() on this thread; every SYN-ACK answers its SYN.
            for syn in s where syn.tcp.flags == .syn && syn.tcp.destinationPort == 6000 {
                #expect(a[syn.frame]?.origin == .syscall(thread: run.thread))
                let synAck = s.first { $0.frame > syn.frame && $0.tcp.flags == [.syn, .ack] && $0.tcp.destinationPort == syn.tcp.sourcePort }
                #expect(synAck.flatMap { a[$0.frame]?.origin } == .reply(toFrame: syn.frame))
            }
            var origins: [String: Int] = [:]
            for v in a.values {
                switch v.origin {
                case .syscall: origins["syscall", default: 0] += 1
                case .reply: origins["reply", default: 0] += 1
                case .timer(let f): origins[f, default: 0] += 1
                }
            }
            print("busy run: \(s.count) segments, origins \(origins.sorted { $0.key < $1.key }), counters \(run.counters.filter { $0.key.hasPrefix("Tcp") }.sorted { $0.key < $1.key })")
        }
    }
}
