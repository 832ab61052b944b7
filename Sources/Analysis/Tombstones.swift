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
///
/// A lookup would probe every generation (a cache miss each, for the new
/// 4-tuple that is the common case), so a filter says which generations may
/// hold a fingerprint: one 16-bit word per bucket, bit `serial % 16` for
/// each generation with a burial in that bucket (a Bloom filter with one
/// hash, partitioned by generation). A freed generation clears its bit.
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
        /// Its place in the order generations were made; bit `serial % 16` in the filter.
        let serial: Int
        var bit: UInt16 { 1 << UInt16(serial & 15) }

        init(capacity: Int, first end: Int64, serial: Int) {
            words = Array(repeating: 0, count: capacity)
            ends = Array(repeating: 0, count: capacity)
            isns = Array(repeating: 0, count: capacity)
            first = end
            last = end
            self.serial = serial
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

        /// Files a burial; true if its fingerprint was not in this generation yet.
        mutating func put(_ word: UInt64, end: Int64, isn: UInt32) -> Bool {
            if (count + 1) * 5 > words.count * 4 { grow() }
            let i = slot(word & ~1)
            let added = words[i] == 0
            if added { count += 1 }
            words[i] = word
            ends[i] = end
            isns[i] = isn
            last = end
            return added
        }

        private mutating func grow() {
            var bigger = Generation(capacity: words.count + words.count / 2, first: first, serial: serial)
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
    private var nextSerial = 0
    /// Burials in all generations (a 4-tuple buried again in a newer one counts twice).
    private var burials = 0
    /// Which generations may hold a fingerprint, by bucket (see above). At
    /// least twice as many buckets as burials, so few bits are set in each.
    private var filter = [UInt16](repeating: 0, count: 1024)
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

    private func bucket(_ fp: UInt64) -> Int { Int(truncatingIfNeeded: fp >> 1) & (filter.count - 1) }

    /// The originator's ISN of the connection last buried on `key` (outer nil: none in TIME-WAIT).
    func originatorISN(_ key: FlowKey) -> SequenceNumber?? {
        let fp = fingerprint(key)
        let maybe = filter[bucket(fp)]
        // The newest generation holding the key has its latest burial; only that one counts.
        for g in generations.reversed() where maybe & g.bit != 0 {
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
            generations.append(Generation(capacity: 64, first: latestEnd, serial: nextSerial))
            nextSerial += 1
        }
        let newest = generations.count - 1
        guard generations[newest].put(word, end: latestEnd, isn: originatorISN?.rawValue ?? 0) else { return }
        burials += 1
        if burials * 2 > filter.count {
            refilter(buckets: filter.count * 2)
        } else {
            filter[bucket(word)] |= generations[newest].bit
        }
    }

    /// Rebuilds the filter with `buckets` buckets from every generation.
    private mutating func refilter(buckets: Int) {
        filter = [UInt16](repeating: 0, count: buckets)
        for g in generations {
            for w in g.words where w != 0 { filter[bucket(w)] |= g.bit }
        }
    }

    /// Forgets every burial that ended at least TIME-WAIT before `now`.
    mutating func expire(now: Int64) {
        cutoff = now
        var dead = 0
        while dead < generations.count, !isLive(generations[dead].last) { dead += 1 }
        guard dead > 0 else { return }
        var freed: UInt16 = 0
        for g in generations[..<dead] {
            freed |= g.bit
            burials -= g.count
        }
        generations.removeFirst(dead)
        // A bit still used by a live generation (more than 16 live) stays set.
        for g in generations { freed &= ~g.bit }
        if freed != 0 {
            let keep = ~freed
            for i in filter.indices { filter[i] &= keep }
        }
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
