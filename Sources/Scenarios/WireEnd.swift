import Capture
import Glibc
import Sockets
import TraceModel

/// Decides when the wire of a run is done, from what the kernel says rather
/// than from a quiet period alone:
///
/// 1. A sentinel: a UDP datagram that synscope sends to itself on the
///    namespace's loopback and waits to see. On `lo` the capture tap sees a
///    packet synchronously in dev_queue_xmit (net/core/dev.c,
///    dev_queue_xmit_nit), so once the sentinel is captured every packet
///    sent before it has been captured too. It is dropped by the capture,
///    never kept (`LiveCapture.sentinel`).
/// 2. The kernel's pending timers, from the namespace's TCP table (`tr`,
///    `tm->when` in proc(5)): while a socket has a retransmission or
///    zero-window-probe timer due within the bound, its segment may still
///    come. Keepalive, FIN-WAIT-2 and TIME-WAIT timers send nothing by
///    themselves and are not waited for.
/// 3. Delayed ACKs, whose timer the table does not show: the wire must stay
///    quiet for the longest delayed-ACK timeout (`ato`) of a socket that can
///    still acknowledge.
public enum WireEnd {
    struct Outcome {
        /// The sentinel was captured.
        var sentinelSeen: Bool
        /// Timers still pending when the bound ran out.
        var pendingTimers: Int
    }

    /// `waitForTimers` is false between the steps and the final close, so that
    /// the run shows what the steps left, not timers nobody waited for.
    static func settle(_ capture: LiveCapture, bound: Int64, waitForTimers: Bool) -> Outcome {
        let start = RealtimeClock.monotonic()
        let seen = sendSentinel(capture)
        var pending = 0
        if waitForTimers && !Interruption.isRequested {
            capture.drain(until: {
                let left = bound - (RealtimeClock.monotonic() - start)
                pending = TCPTable.read().filter { ($0.timer == 1 || $0.timer == 4) && $0.timerDue <= left }.count
                return pending == 0 || Interruption.isRequested
            }, limit: max(0, bound - (RealtimeClock.monotonic() - start)))
        }
        // Delayed ACKs: quiet for the longest ato of a socket that can still acknowledge.
        let acking: Set<TCPState> = [.established, .closeWait, .finWait1, .finWait2, .closing]
        let ato = TCPTable.read().filter { acking.contains($0.state) }.compactMap(\.ackTimeout).max() ?? 0
        if ato > 0 && !Interruption.isRequested {
            capture.drainUntilQuiet(settle: ato + 5_000_000, limit: min(bound, 1_000_000_000))
        }
        return Outcome(sentinelSeen: seen, pendingTimers: pending)
    }

    /// Sends one sentinel (`Sentinel`) and drains until it is captured, for at most one second.
    @discardableResult
    public static func sendSentinel(_ capture: LiveCapture) -> Bool {
        let marker = Sentinel.marker()
        capture.sentinel = marker
        let before = capture.sentinelsSeen
        guard Sentinel.send(marker) else { return false }
        return capture.drain(until: { capture.sentinelsSeen > before }, limit: 1_000_000_000, step: 1_000_000)
    }
}
