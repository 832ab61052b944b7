import Analysis
import TestSupport
import Testing
import TraceModel

/// KernelAttribution on the real trace fixtures, with the packets read from the same text by plain string
/// handling. The expectations are what the trace lines show when read by eye (see Fixtures).
@Suite struct AttributionFixtureTests {
    @Test func connectCloseUnlistened() throws {
        let text = try Fixtures.text("connect-close-unlistened.trace")
        let packets = Fixtures.packets(text)
        let a = KernelAttribution.attest(packets: packets, events: try Fixtures.events("connect-close-unlistened.trace"))
        #expect(packets.count == 11)
        #expect(a.count == packets.count)
        // 1 SYN (connect), 2 SYN-ACK, 3 ACK, 4 data, 5 its ACK, 6 FIN (close), 7 delayed ACK, 8 FIN, 9 ACK (TIME-WAIT),
        // 10 SYN to 5001, 11 RST NO_SOCKET.
        #expect(a[1]?.origin == .syscall(thread: 8258))
        #expect(a[2]?.origin == .reply(toFrame: 1))
        #expect(a[3]?.origin == .syscall(thread: 8258))
        #expect(a[4]?.origin == .syscall(thread: 8258))
        #expect(a[5]?.origin == .reply(toFrame: 4))
        #expect(a[6]?.origin == .syscall(thread: 8258))
        #expect(a[7]?.origin == .timer(function: "tcp_delack_timer"))
        #expect(a[8]?.origin == .syscall(thread: 8258))
        #expect(a[9]?.origin == .reply(toFrame: 8))
        #expect(a[8]?.fate == "NOT_SPECIFIED")   // the TIME-WAIT socket answered, then freed it
        #expect(a[10]?.origin == .syscall(thread: 8258))
        #expect(a[10]?.fate == "NO_SOCKET")
        #expect(a[11]?.origin == .reply(toFrame: 10))
        #expect(a[11]?.resetReason == "NO_SOCKET")
        #expect(a[11]?.resetHasSocket == false)
        #expect(a.values.filter { $0.resetReason != nil }.count == 1)
        #expect(a.values.allSatisfy { !$0.retransmit })
    }

    @Test func retransmitBacklogAbort() throws {
        let text = try Fixtures.text("retransmit-backlog-abort.trace")
        let packets = Fixtures.packets(text)
        let a = KernelAttribution.attest(packets: packets, events: try Fixtures.events("retransmit-backlog-abort.trace"))
        #expect(a.count == packets.count)
        // 1 SYN to 10.9.9.9 (dropped NO_SOCKET), 2 its retransmission by tcp_write_timer
        #expect(a[1]?.origin == .syscall(thread: 15128))
        #expect(a[1]?.fate == "NO_SOCKET")
        #expect(a[1]?.retransmit == false)
        #expect(a[2]?.origin == .timer(function: "tcp_write_timer"))
        #expect(a[2]?.retransmit == true)
        #expect(a[2]?.fate == "NO_SOCKET")
        let retransmitted = a.filter { $0.value.retransmit }.map(\.key).sorted()
        #expect(retransmitted.count == 4)
        #expect(retransmitted.allSatisfy { a[$0]?.origin == .timer(function: "tcp_write_timer") })
        // the SYN swallowed by the full accept queue: no kfree_skb, so no fate
        #expect(a.values.filter { $0.fate != nil }.count == 3)
        // close() with unread data: RST in process context, active reset traced after it was queued
        let resets = a.filter { $0.value.resetReason != nil }
        #expect(resets.count == 1)
        #expect(resets.first?.value.resetReason == "TCP_ABORT_ON_CLOSE")
        #expect(resets.first?.value.resetHasSocket == true)
        #expect(resets.first?.value.origin == .syscall(thread: 15128))
        #expect(resets.first.map { packets[$0.key - 1].length } == 66)
    }
}
