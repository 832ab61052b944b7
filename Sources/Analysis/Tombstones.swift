import PacketWire
import TraceModel

/// The 4-tuples of connections that ended less than TIME-WAIT ago, kept to
/// recognise port reuse. There can be hundreds of thousands of them, so each
/// takes 16 bytes in the table and 24 in the expiry queue: a 64-bit seeded fingerprint of its `FlowKey` instead of the
/// key itself (two keys share one with probability about 2^-64 per lookup),
/// in an open-addressing table with linear probing and backward-shift deletion,
/// grown by half (not doubled) and indexed by multiply-shift range reduction
/// (Lemire, "A fast alternative to the modulo reduction", 2016); the expiry
/// queue is a list of fixed-size chunks, freed as they empty. Both keep the
/// peak memory close to what the live entries need.
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

    typealias Burial = (fingerprint: UInt64, end: Int64, id: UInt32)
    private static let chunkSize = 4096

    private var slots: [Entry]
    private let seed: UInt64
    private(set) var count = 0
    /// Fingerprint, end and id of every burial, oldest first, in chunks.
    private var chunks: [[Burial]] = []
    private var firstChunk = 0
    private var head = 0

    init() {
        slots = Array(repeating: Entry(), count: 1024)
        seed = UInt64.random(in: 0...UInt64.max) | 1
    }

    func fingerprint(_ key: FlowKey) -> UInt64 { max(key.mix(seed), 1) }

    private func home(_ fp: UInt64) -> Int {
        Int(truncatingIfNeeded: fp.multipliedFullWidth(by: UInt64(slots.count)).high)
    }

    private func after(_ i: Int) -> Int { i + 1 == slots.count ? 0 : i + 1 }

    /// How far `i` is past `j`, going round the table.
    private func distance(_ i: Int, from j: Int) -> Int { i >= j ? i - j : i + slots.count - j }

    private func find(_ fp: UInt64) -> Int? {
        var i = home(fp)
        while slots[i].fingerprint != 0 {
            if slots[i].fingerprint == fp { return i }
            i = after(i)
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
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkSize {
            chunks.append([])
            chunks[chunks.count - 1].reserveCapacity(Self.chunkSize)
        }
        chunks[chunks.count - 1].append((fp, end.nanoseconds, id))
        if let i = find(fp) {
            slots[i] = entry
            return
        }
        if (count + 1) * 5 > slots.count * 4 { grow() }
        place(entry)
        count += 1
    }

    private mutating func place(_ e: Entry) {
        var i = home(e.fingerprint)
        while slots[i].fingerprint != 0 { i = after(i) }
        slots[i] = e
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Entry(), count: old.count + old.count / 2)
        for e in old where e.fingerprint != 0 { place(e) }
    }

    /// Forgets every burial that ended at least `timeWait` before `now`.
    mutating func expire(now: Int64, timeWait: Int64) {
        while firstChunk < chunks.count {
            if head == chunks[firstChunk].count {
                if firstChunk == chunks.count - 1 { break }  // the chunk being filled
                chunks[firstChunk] = []  // free it
                firstChunk += 1
                head = 0
                continue
            }
            let t = chunks[firstChunk][head]
            guard now - t.end >= timeWait else { break }
            head += 1
            // Only if no later connection on the 4-tuple was buried since.
            if let i = find(t.fingerprint), slots[i].id == t.id { remove(at: i) }
        }
        if firstChunk > 64 && firstChunk * 2 > chunks.count {
            chunks.removeFirst(firstChunk)
            firstChunk = 0
        }
    }

    private mutating func remove(at slot: Int) {
        var hole = slot
        slots[hole] = Entry()
        count -= 1
        var i = after(hole)
        while slots[i].fingerprint != 0 {
            if distance(i, from: home(slots[i].fingerprint)) >= distance(i, from: hole) {
                slots[hole] = slots[i]
                slots[i] = Entry()
                hole = i
            }
            i = after(i)
        }
    }
}
