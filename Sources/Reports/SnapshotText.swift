import TraceModel

/// The kernel's socket table after a call, as the reports show it:
/// `server LISTEN (accept queue 1, SYN queue 0), c1 ESTABLISHED`.
enum SnapshotText {
    /// With `dataQueues`, a socket with bytes queued also shows `(recv-q 5, send-q 0)`.
    static func text(_ snapshot: [SocketSnapshot], dataQueues: Bool) -> String {
        snapshot.map { s in
            var text = "\(s.socket) \(s.state)"
            if s.state == .listen { text += " (accept queue \(s.receiveQueue), SYN queue \(s.synQueue ?? 0))" }
            else if dataQueues && (s.receiveQueue > 0 || s.sendQueue > 0) { text += " (recv-q \(s.receiveQueue), send-q \(s.sendQueue))" }
            return text
        }.joined(separator: ", ")
    }
}
