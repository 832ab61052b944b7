import Glibc
import TraceModel

extension SocketCalls {
    /// Beyond this many sockets (a `repeat`), an event's snapshot lists only
    /// what changed since the previous one, the call's own socket and the
    /// listeners; a checker looks back for the others.
    static let fullSnapshotLimit = 16

    /// The kernel's view of every socket the scenario made, from the
    /// namespace's TCP table: by inode while a descriptor holds it, then by
    /// its last 4-tuple (TIME-WAIT sockets belong to no descriptor).
    public func snapshot(focus: String? = nil) -> [SocketSnapshot] {
        let rows = TCPTable.read()
        return lock.locked { snapshot(rows: rows, focus: focus) }
    }

    /// The snapshot from rows already read (reading takes milliseconds: other threads' calls go on meanwhile).
    func snapshot(rows: [TCPTableRow], focus: String?) -> [SocketSnapshot] {
        var byInode: [UInt64: TCPTableRow] = [:]
        for r in rows where r.inode != 0 && byInode[r.inode] == nil { byInode[r.inode] = r }
        var out: [SocketSnapshot] = []
        for s in sockets {
            var row: TCPTableRow?
            if s.open { row = byInode[s.inode] }
            if row == nil, !s.open, let t = tuples[s.name] {
                // After close() the connection lives on without a descriptor in these
                // states only; an ESTABLISHED row with inode 0 is a new, unaccepted one.
                let orphaned: Set<TCPState> = [.finWait1, .finWait2, .closing, .lastAck, .timeWait]
                row = rows.first { $0.local == t.local && $0.remote == t.remote && $0.inode == 0 && orphaned.contains($0.state) }
            }
            if let row {
                if row.remote.port != 0 { tuples[s.name] = (row.local, row.remote) }
                var snap = SocketSnapshot(socket: s.name, state: row.state, local: row.local,
                                          remote: row.remote.port == 0 ? nil : row.remote,
                                          receiveQueue: row.receiveQueue, sendQueue: row.transmitQueue)
                if row.state == .listen {
                    snap.synQueue = rows.filter { $0.isRequest && $0.local.port == row.local.port }.count
                }
                out.append(snap)
            } else {
                out.append(SocketSnapshot(socket: s.name, state: .closed, local: locals[s.name],
                                          remote: tuples[s.name]?.remote, receiveQueue: 0, sendQueue: 0))
            }
        }
        guard sockets.count > Self.fullSnapshotLimit else { return out }
        let changed = out.filter { $0.socket == focus || $0.state == .listen || lastSnapshot[$0.socket] != $0 }
        for s in out { lastSnapshot[s.socket] = s }
        return changed
    }
}
