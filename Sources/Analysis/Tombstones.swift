import PacketWire
import TraceModel

/// The 4-tuples of connections that ended less than TIME-WAIT ago, kept to
/// recognise port reuse. There can be hundreds of thousands of them, so each
/// takes 16 bytes in the table and 24 in the expiry queue: a 64-bit seeded fingerprint of its `FlowKey` instead of the
/// key itself (two keys share one with probability about 2^-64 per lookup),
/// in an open-addressing table with linear probing and backward-shift deletion.
struct Tombstones {
    struct Entry {
        /// 0: an empty slot.
        var fingerprint: UInt64 = 0
        /// The connection's id, truncated to 31 bits (it only tells burials on
        /// one 4-tuple apart), with `Entry.noISN` set when its originator sent no SYN.
        var idAndFlag: UInt32 = 0
        var originatorISN: UInt32 = 0

        static let noISN: UInt32 = 1 << 31
        var hasISN: Bool { idAndFlag & Self.noISN == 0 }
        var id: UInt32 { idAndFlag & ~Self.noISN }
    }

    private var slots: [Entry]
    private var mask: Int
    private let seed: UInt64
    private(set) var count = 0
    /// Fingerprint, id and end of every burial, oldest first.
    private var queue: [(fingerprint: UInt64, end: Int64, id: UInt32)] = []
    private var head = 0

    init() {
        slots = Array(repeating: Entry(), count: 1024)
        mask = slots.count - 1
        seed = UInt64.random(in: 0...UInt64.max) | 1
    }

    func fingerprint(_ key: FlowKey) -> UInt64 { max(key.mix(seed), 1) }

    private func find(_ fp: UInt64) -> Int? {
        var i = Int(truncatingIfNeeded: fp) & mask
        while slots[i].fingerprint != 0 {
            if slots[i].fingerprint == fp { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    /// The originator's ISN of the connection last buried on `key` (outer nil: none in TIME-WAIT).
    func originatorISN(_ key: FlowKey) -> SequenceNumber?? {
        guard let i = find(fingerprint(key)) else { return nil }
        return .some(slots[i].hasISN ? SequenceNumber(slots[i].originatorISN) : nil)
    }

    mutating func bury(_ key: FlowKey, id: Int, originatorISN: SequenceNumber?, end: Timestamp) {
        let fp = fingerprint(key)
        let id = UInt32(truncatingIfNeeded: id) & ~Entry.noISN
        let entry = Entry(fingerprint: fp, idAndFlag: originatorISN == nil ? id | Entry.noISN : id,
                          originatorISN: originatorISN?.rawValue ?? 0)
        queue.append((fp, end.nanoseconds, id))
        if let i = find(fp) {
            slots[i] = entry
            return
        }
        if (count + 1) * 4 > slots.count * 3 { grow() }
        place(entry)
        count += 1
    }

    private mutating func place(_ e: Entry) {
        var i = Int(truncatingIfNeeded: e.fingerprint) & mask
        while slots[i].fingerprint != 0 { i = (i + 1) & mask }
        slots[i] = e
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Entry(), count: old.count * 2)
        mask = slots.count - 1
        for e in old where e.fingerprint != 0 { place(e) }
    }

    /// Forgets every burial that ended at least `timeWait` before `now`.
    mutating func expire(now: Int64, timeWait: Int64) {
        while head < queue.count, now - queue[head].end >= timeWait {
            let t = queue[head]
            head += 1
            // Only if no later connection on the 4-tuple was buried since.
            if let i = find(t.fingerprint), slots[i].id == t.id { remove(at: i) }
        }
        if head > 1024 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
    }

    private mutating func remove(at slot: Int) {
        var hole = slot
        slots[hole] = Entry()
        count -= 1
        var i = (hole + 1) & mask
        while slots[i].fingerprint != 0 {
            let home = Int(truncatingIfNeeded: slots[i].fingerprint) & mask
            if (i - home) & mask >= (i - hole) & mask {
                slots[hole] = slots[i]
                slots[i] = Entry()
                hole = i
            }
            i = (i + 1) & mask
        }
    }
}
