import Foundation
@testable import KernelEvents
import TraceModel

/// Real trace text recorded on this machine (kernel 6.18) with an instance configured as KernelTracer
/// configures it (trace_clock mono, net events filtered on a renamed loopback), from `unshare -m -n`:
/// - connect-close-unlistened.trace: connect/accept/send/close on 127.0.0.1:5000, then a connect to
///   127.0.0.1:5001, bound but not listening (NO_SOCKET reset);
/// - retransmit-backlog-abort.trace: a connect to 10.9.9.9 routed to the renamed lo (SYN retransmitted
///   by tcp_write_timer, dropped with NO_SOCKET), three connects to a listen(0) socket (one SYN retransmitted
///   after the full accept queue swallowed it), and a close with unread data (TCP_ABORT_ON_CLOSE).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    static func events(_ name: String) throws -> [KernelEvent] {
        TraceLineParser.events(try text(name), offset: 0)
    }

    /// The trace lines whose event is `event`, counted by plain text search (independent of the parser).
    static func count(_ text: String, _ event: String) -> Int {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains(" \(event): ") }.count
    }

    /// Packets as libpcap would have listed them: one per net_dev_queue line, read with plain string
    /// handling (not the parser) from the text: its time and len.
    static func packets(_ text: String) -> [(frame: Int, time: Timestamp, length: Int)] {
        var result: [(frame: Int, time: Timestamp, length: Int)] = []
        for line in text.split(separator: "\n") where line.contains(" net_dev_queue: ") {
            let words = line.split(separator: " ")
            guard let t = words.firstIndex(where: { $0.hasSuffix(":") && $0.contains(".") && Double($0.dropLast()) != nil }),
                  let lenWord = words.last(where: { $0.hasPrefix("len=") }), let len = Int(lenWord.dropFirst(4)) else { continue }
            let parts = words[t].dropLast().split(separator: ".")
            let ns = Int64(parts[0])! * 1_000_000_000 + Int64(parts[1])! * 1000
            result.append((result.count + 1, Timestamp(nanoseconds: ns + 20_000), len))
        }
        return result
    }
}
