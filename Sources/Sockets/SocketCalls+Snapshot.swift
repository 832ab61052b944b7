import Glibc
import TraceModel

extension SocketCalls {
    /// The kernel's view of every socket the scenario made, from the
    /// namespace's TCP table: by inode while a descriptor holds it, then by
    /// its last 4-tuple (TIME-WAIT sockets belong to no descriptor).
    public func snapshot() -> [SocketSnapshot] {
        let rows = TCPTable.read()
        var out: [SocketSnapshot] = []
        for s in sockets {
            var row: TCPTableRow?
            if s.open { row = rows.first { $0.inode == s.inode && $0.inode != 0 } }
            if row == nil, !s.open, let t = tuples[s.name] {
                // After close() the connection lives on without a descriptor in these
                // states only; an ESTABLISHED row with inode 0 is a new, unaccepted one.
                let orphaned: Set<String> = ["FIN-WAIT-1", "FIN-WAIT-2", "CLOSING", "LAST-ACK", "TIME-WAIT"]
                row = rows.first { $0.local == t.local && $0.remote == t.remote && $0.inode == 0 && orphaned.contains($0.state) }
            }
            if let row {
                if row.remote.port != 0 { tuples[s.name] = (row.local, row.remote) }
                var snap = SocketSnapshot(socket: s.name, state: row.state, local: row.local,
                                          remote: row.remote.port == 0 ? nil : row.remote,
                                          receiveQueue: row.receiveQueue, sendQueue: row.transmitQueue)
                if row.state == "LISTEN" {
                    snap.synQueue = rows.filter { $0.isRequest && $0.local.port == row.local.port }.count
                }
                out.append(snap)
            } else {
                out.append(SocketSnapshot(socket: s.name, state: "CLOSED", local: locals[s.name],
                                          remote: tuples[s.name]?.remote, receiveQueue: 0, sendQueue: 0))
            }
        }
        return out
    }
}
