@testable import KernelEvents
import TestSupport
import Testing
import TraceModel

@Suite struct TraceLineParserTests {
    static let fixtures = ["connect-close-unlistened.trace", "retransmit-backlog-abort.trace"]

    @Test(arguments: fixtures) func everyEventLineParses(name: String) throws {
        let text = try Fixtures.text(name)
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(TraceLineParser.line(line) != nil, "\(line)")
        }
        let events = TraceLineParser.events(text, offset: 0)
        func count(_ match: (KernelEvent.Kind) -> Bool) -> Int { events.filter { match($0.kind) }.count }
        #expect(count { if case .devQueue = $0 { true } else { false } } == Fixtures.count(text, "net_dev_queue"))
        #expect(count { if case .receive = $0 { true } else { false } } == Fixtures.count(text, "netif_receive_skb"))
        #expect(count { if case .sendReset = $0 { true } else { false } } == Fixtures.count(text, "tcp_send_reset"))
        #expect(count { if case .drop = $0 { true } else { false } } == Fixtures.count(text, "kfree_skb"))
        #expect(count { if case .setState = $0 { true } else { false } } == Fixtures.count(text, "inet_sock_set_state"))
        #expect(count { if case .timerEntry = $0 { true } else { false } } == Fixtures.count(text, "timer_expire_entry"))
        #expect(count { if case .retransmit = $0 { true } else { false } }
            == Fixtures.count(text, "tcp_retransmit_skb") + Fixtures.count(text, "tcp_retransmit_synack"))
    }

    @Test func columnsAndContext() throws {
        let softirq = TraceLineParser.line("         python3-8258    [000] b.s1.   264.064965: net_dev_queue: dev=syn-exp1 skbaddr=00000000feb59065 len=74")
        #expect(softirq?.comm == "python3")
        #expect(softirq?.pid == 8258)
        #expect(softirq?.cpu == 0)
        #expect(softirq?.clock == 264_064_965_000)
        #expect(softirq?.context == .softirq)
        #expect(softirq.flatMap { TraceLineParser.event($0, offset: 5)?.kind } == .devQueue(skb: 0xfeb59065, length: 74))
        let process = TraceLineParser.line("         python3-8258    [000] b....   264.064867: net_dev_queue: dev=syn-exp1 skbaddr=0000000027f75e67 len=74")
        #expect(process?.context == .process)
        #expect(process.flatMap { TraceLineParser.event($0, offset: 5)?.time } == Timestamp(nanoseconds: 264_064_867_005))
        // comm with a space and a dash, hardirq flag
        let odd = TraceLineParser.line("  Web Content-x-77  [001] d.h1.   1.000001: timer_expire_exit: timer=00000000f09ad98d")
        #expect(odd?.comm == "Web Content-x")
        #expect(odd?.pid == 77)
        #expect(odd?.cpu == 1)
        #expect(odd?.context == .hardirq)
        #expect(TraceLineParser.line("# tracer: nop") == nil)
        #expect(TraceLineParser.line("garbage without columns") == nil)
        #expect(TraceLineParser.line("x-1 [0] ....") == nil)
    }

    @Test func resetsDropsStatesAndMarkers() throws {
        let events = try Fixtures.events("connect-close-unlistened.trace")
        let loopback = IPAddress.v4(.loopback)
        #expect(events.contains { $0.kind == .sendReset(local: SocketAddress(loopback, 5001), remote: SocketAddress(loopback, 38022),
                                                        state: "UNKNOWN", reason: "NO_SOCKET", hasSocket: false, received: 0x27f75e67) })
        #expect(events.contains { $0.kind == .drop(skb: 0x27f75e67, reason: "NO_SOCKET", location: "tcp_v4_rcv+0x99/0x1400") })
        #expect(events.contains { $0.kind == .errorReport(local: SocketAddress(loopback, 38022), remote: SocketAddress(loopback, 5001), errno: 111) })
        #expect(events.contains { $0.kind == .setState(local: SocketAddress(loopback, 0), remote: SocketAddress(loopback, 5000),
                                                       old: "TCP_CLOSE", new: "TCP_SYN_SENT", socket: 0) })
        #expect(events.contains { $0.kind == .receiveReset(local: SocketAddress(loopback, 38022), remote: SocketAddress(loopback, 5001), state: "UNKNOWN") })
        #expect(events.first?.kind == .marker("synscope-clock"))
        #expect(events.contains { $0.kind == .timerEntry(function: "tcp_delack_timer") && $0.context == .softirq })
    }

    @Test func activeResetRetransmitAndSyscalls() throws {
        let events = try Fixtures.events("retransmit-backlog-abort.trace")
        let loopback = IPAddress.v4(.loopback)
        #expect(events.contains { $0.kind == .sendReset(local: SocketAddress(loopback, 56802), remote: SocketAddress(loopback, 5000),
                                                        state: "TCP_CLOSE", reason: "TCP_ABORT_ON_CLOSE", hasSocket: true, received: 0) })
        #expect(events.contains { $0.kind == .retransmit(local: SocketAddress(.v4(.any), 47320), remote: SocketAddress(.v4(IPv4Address(10, 9, 9, 9)), 5001),
                                                         state: "TCP_SYN_SENT", synAck: false) })
        #expect(events.contains { $0.kind == .syscallEnter(name: .connect, args: [0x1d, 0x7fff2f6c8c30, 0x6e]) })
        #expect(events.contains { $0.kind == .syscallExit(name: .connect, result: -2) })
    }

    @Test func softirqBrackets() {
        let entry = TraceLineParser.line("  swift-frontend-6212    [001] .Ns..  1295.789733: softirq_entry: vec=1 [action=TIMER]")!
        #expect(TraceLineParser.event(entry, offset: 0)?.kind == .softirqEntry(action: "TIMER"))
        #expect(entry.context == .softirq)
        let exit = TraceLineParser.line("  ksoftirqd/0-14      [000] ..s..  1295.789740: softirq_exit: vec=3 [action=NET_RX]")!
        #expect(TraceLineParser.event(exit, offset: 0)?.kind == .softirqExit(action: "NET_RX"))
    }

    @Test func ipv6Addresses() {
        let line = TraceLineParser.line("  p-1  [000] .....   1.000001: inet_sock_set_state: family=AF_INET6 protocol=IPPROTO_TCP sport=5000 dport=0 saddr=0.0.0.0 daddr=0.0.0.0 saddrv6=::1 daddrv6=:: oldstate=TCP_CLOSE newstate=TCP_LISTEN")!
        #expect(TraceLineParser.event(line, offset: 0)?.kind == .setState(local: SocketAddress(.v6(.loopback), 5000), remote: SocketAddress(.v6(.any), 0),
                                                                         old: "TCP_CLOSE", new: "TCP_LISTEN", socket: 0))
        let reset = TraceLineParser.line("  p-1  [000] ..s1.   1.000001: tcp_send_reset: skbaddr=0000000027f75e67 skaddr=0000000000000000 src=[::1]:5001 dest=[::1]:40000 state=UNKNOWN reason=NO_SOCKET")!
        #expect(TraceLineParser.event(reset, offset: 0)?.kind == .sendReset(local: SocketAddress(.v6(.loopback), 5001), remote: SocketAddress(.v6(.loopback), 40000),
                                                                           state: "UNKNOWN", reason: "NO_SOCKET", hasSocket: false, received: 0x27f75e67))
    }

    @Test func timersWithoutRunEventsArePruned() throws {
        let events = try Fixtures.events("retransmit-backlog-abort.trace")
        let pruned = KernelTracer.pruneBrackets(events)
        let entries = pruned.compactMap { if case .timerEntry(let f) = $0.kind { f } else { nil } }
        #expect(entries == ["tcp_write_timer", "tcp_write_timer", "tcp_write_timer", "tcp_write_timer"])
        #expect(pruned.count { if case .timerExit = $0.kind { true } else { false } } == 4)
        #expect(pruned.count { if case .devQueue = $0.kind { true } else { false } } == events.count { if case .devQueue = $0.kind { true } else { false } })
    }
}
