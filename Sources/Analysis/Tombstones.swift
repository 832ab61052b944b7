import PacketWire
import TraceModel

/// The 4-tuples of connections that ended less than TIME-WAIT ago, kept to
/// recognise port reuse.
///
/// There can be hundreds of thousands of them (every connection of the last
/// 60 s), so each burial takes 20 bytes: a 64-bit seeded fingerprint of its
/// `FlowKey` instead of the key (two keys share one with probability about
/// 2^-62 per lookup), its end, and the originator's ISN. Burials go into
/// generations, one per eighth of TIME-WAIT, each an open-addressing table
/// with linear probing, grown by half (not doubled) and indexed by
/// multiply-shift range reduction (Lemire, "A fast alternative to the modulo
/// reduction", 2016). A whole generation is freed once its last burial has
/// expired, so no expiry queue is kept, and growing a table copies only the
/// newest eighth: the peak memory stays close to what the live burials need.
struct Tombstones {
    /// One generation's table: three arrays, so that no slot is padded.
    private struct Generation {
        /// 0: an empty slot. Otherwise the fingerprint, whose low bit says
        /// whether the originator sent a SYN (its ISN is known).
        var words: [UInt64]
        var ends: [Int64]
        var isns: [UInt32]
        var count = 0
        /// The earliest and the latest `ends` value in it.
        let first: Int64
        var last: Int64

        init(capacity: Int, first end: Int64) {
            words = Array(repeating: 0, count: capacity)
            ends = Array(repeating: 0, count: capacity)
            isns = Array(repeating: 0, count: capacity)
            first = end
            last = end
        }

        /// From the fingerprint's uniform bits: bit 63 is always set, bit 0 is the flag.
        func home(_ fp: UInt64) -> Int {
            Int(truncatingIfNeeded: (fp &<< 1).multipliedFullWidth(by: UInt64(words.count)).high)
        }

        /// The slot holding fingerprint `fp` (low bit clear), or the empty slot where it would go.
        func slot(_ fp: UInt64) -> Int {
            var i = home(fp)
            while words[i] != 0, words[i] & ~1 != fp {
                i = i + 1 == words.count ? 0 : i + 1
            }
            return i
        }

        mutating func put(_ word: UInt64, end: Int64, isn: UInt32) {
            if (count + 1) * 5 > words.count * 4 { grow() }
            let i = slot(word & ~1)
            if words[i] == 0 { count += 1 }
            words[i] = word
            ends[i] = end
            isns[i] = isn
            last = end
        }

        private mutating func grow() {
            var bigger = Generation(capacity: words.count + words.count / 2, first: first)
            bigger.last = last
            for i in words.indices where words[i] != 0 {
                let j = bigger.slot(words[i] & ~1)
                bigger.words[j] = words[i]
                bigger.ends[j] = ends[i]
                bigger.isns[j] = isns[i]
            }
            bigger.count = count
            self = bigger
        }
    }

    /// Oldest first.
    private var generations: [Generation] = []
    private let seed: UInt64
    /// Every burial's end, made non-decreasing in burial order (see `bury`).
    private var latestEnd = Int64.min
    /// `now` of the last `expire`.
    private var cutoff = Int64.min
    private let timeWait: Int64
    /// How much of TIME-WAIT one generation covers.
    private let span: Int64

    init(timeWait: Int64) {
        self.timeWait = timeWait
        span = max(timeWait / 8, 1)
        seed = UInt64.random(in: 0...UInt64.max)
    }

    /// Bit 63 set (never 0, never an empty slot), bit 0 clear (the ISN flag goes there).
    private func fingerprint(_ key: FlowKey) -> UInt64 { (key.mix(seed) | 1 << 63) & ~1 }

    /// Whether a burial that ended at `end` is still in TIME-WAIT at the last `expire`.
    private func isLive(_ end: Int64) -> Bool { cutoff == .min || cutoff &- end < timeWait }

    /// The originator's ISN of the connection last buried on `key` (outer nil: none in TIME-WAIT).
    func originatorISN(_ key: FlowKey) -> SequenceNumber?? {
        let fp = fingerprint(key)
        // The newest generation holding the key has its latest burial; only that one counts.
        for g in generations.reversed() {
            let i = g.slot(fp)
            guard g.words[i] != 0 else { continue }
            guard isLive(g.ends[i]) else { return nil }
            return .some(g.words[i] & 1 == 1 ? SequenceNumber(g.isns[i]) : nil)
        }
        return nil
    }

    mutating func bury(_ key: FlowKey, originatorISN: SequenceNumber?, end: Timestamp) {
        // Burials expire in the order they were made, as from a queue that
        // stops at the first one still in TIME-WAIT: a burial expires only once
        // every earlier one has, as if its end were the latest end buried so far.
        latestEnd = max(latestEnd, end.nanoseconds)
        let word = fingerprint(key) | (originatorISN == nil ? 0 : 1)
        if generations.isEmpty || latestEnd &- generations[generations.count - 1].first >= span {
            generations.append(Generation(capacity: 64, first: latestEnd))
        }
        generations[generations.count - 1].put(word, end: latestEnd, isn: originatorISN?.rawValue ?? 0)
    }

    /// Forgets every burial that ended at least TIME-WAIT before `now`.
    mutating func expire(now: Int64) {
        cutoff = now
        var dead = 0
        while dead < generations.count, !isLive(generations[dead].last) { dead += 1 }
        if dead > 0 { generations.removeFirst(dead) }
    }

    /// How many 4-tuples are in TIME-WAIT (for tests: it walks every generation).
    var count: Int {
        var seen = Set<UInt64>()
        var live = 0
        for g in generations.reversed() {
            for i in g.words.indices where g.words[i] != 0 && seen.insert(g.words[i] & ~1).inserted {
                if isLive(g.ends[i]) { live += 1 }
            }
        }
        return live
    }
}
