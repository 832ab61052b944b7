import Analysis

/// The cause label every report shows: `caused by #5`, `reply to #8`,
/// `timer tcp_delack_timer` (the kernel function, when the kernel attested
/// it), and `(inferred)` when the cause comes from the packets alone. All
/// cause wording of the reports is here (JSON writes the cause as fields).
public enum CauseLabel {
    public static func segment(_ s: TimelineSegment, describe: (Int) -> String = { "#\($0)" }) -> String {
        var text = base(s.cause, timer: s.kernel?.timer, describe: describe)
        if s.source == .inferred { text += inferred }
        return text
    }

    /// Datagrams and ICMP messages are not attested by kernel events: their causes are always inferred.
    public static func datagram(_ d: TimelineDatagram, describe: (Int) -> String = { "#\($0)" }) -> String {
        base(d.cause, timer: nil, describe: describe) + inferred
    }

    static func base(_ c: SegmentCause, timer kernelTimer: String?, describe: (Int) -> String) -> String {
        switch c {
        case .syscall(let e): "caused by " + describe(e)
        case .reply(let e): "reply to " + describe(e)
        case .timer(let name): timer(name.rawValue, kernelTimer: kernelTimer)
        case .untraced(let task): untraced(task)
        }
    }

    /// What sent a FIN or RST, for the summary table, which numbers no entries:
    /// `close() c1` (the call `call`), `kernel reply (NO_SOCKET)`, `timer tcp_write_timer`.
    static func closing(_ s: TimelineSegment, call: TimelineSyscall?) -> String {
        var text: String
        switch s.cause {
        case .syscall:
            text = (call.map { "\($0.event.call)() " } ?? "a call ") + (call?.event.socket ?? s.sender ?? s.segment.flow.source.hostPort)
        case .reply: text = "kernel reply" + (s.kernel?.resetReason.map { " (\($0))" } ?? "")
        case .timer(let name): text = timer(name.rawValue, kernelTimer: s.kernel?.timer)
        case .untraced(let task): text = untraced(task)
        }
        if s.source == .inferred { text += inferred }
        return text
    }

    /// `timer tcp_delack_timer` when the kernel named its timer function, else synscope's name: `timer (retransmission)`.
    static func timer(_ name: String, kernelTimer: String?) -> String {
        kernelTimer.map { "timer \($0)" } ?? "timer (\(name))"
    }

    static func untraced(_ task: Int32) -> String { "from task \(task), not traced" }

    /// After a cause that comes from the packets alone.
    static let inferred = " (inferred)"

    /// `counters: TcpExtListenOverflows +1, TcpExtListenDrops +1`: the counters of a call
    /// worth a line in a report (TCP's own, not the per-packet IP and segment tallies).
    public static func counters(_ moved: [String: Int64]?) -> String? {
        let boring: Set<String> = ["TcpInSegs", "TcpOutSegs", "TcpCurrEstab", "TcpExtTCPPureAcks", "TcpExtTCPHPAcks", "TcpExtTCPHPHits",
                                   "TcpExtTCPDelivered", "TcpExtTCPOrigDataSent", "TcpActiveOpens", "TcpPassiveOpens"]
        let shown = (moved ?? [:]).filter { $0.key.hasPrefix("Tcp") && !boring.contains($0.key) }.sorted { $0.key < $1.key }
        guard !shown.isEmpty else { return nil }
        return "counters: " + shown.map { "\($0.key) \($0.value > 0 ? "+" : "")\($0.value)" }.joined(separator: ", ")
    }

    /// The closing line of a run: whether the kernel attested the causes, and how often the inference agrees.
    public static func summary(_ t: Timeline) -> String? {
        guard let k = t.kernelEvents else { return nil }
        guard let a = t.inference else { return "causes: inferred from the packets (kernel events \(k))" }
        var text = "causes: attested by the kernel for \(t.segments.filter { $0.source == .kernel }.count) of \(t.segments.count) segments; "
            + "the inference agrees on \(a.agree) of \(a.total)"
        if !a.differences.isEmpty { text += " (differs: " + a.differences.joined(separator: "; ") + ")" }
        return text
    }
}
