import TraceModel

/// An open-addressing hash table from `FlowKey` to a connection record, with
/// linear probing and backward-shift deletion (Knuth, TAOCP vol. 3, §6.4,
/// algorithm R). One multiply-xorshift hash of the 4-tuple per lookup
/// instead of `Hasher`'s SipHash: the lookup runs once per packet.
/// The hash is seeded per table, so a crafted capture cannot choose collisions.
/// A value carries its own key, so a slot holds only the hash and the value
/// (16 bytes for a class, side by side: one cache line per probe).
struct FlowTable<Value: FlowKeyed> {
    /// A slot's hash and value side by side, so a probe touches one cache line.
    private struct Slot {
        /// 0: an empty slot. Compared before the value's key.
        var hash: UInt64
        var value: Value?
    }

    private var slots: [Slot]
    private var mask: Int
    private let seed: UInt64
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: Slot(hash: 0, value: nil), count: size)
        mask = size - 1
        seed = UInt64.random(in: 0...UInt64.max) | 1
    }

    private func hash(_ key: FlowKey) -> UInt64 { max(key.mix(seed), 1) }

    private func slot(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: hash) & mask }

    /// The slot holding `key`, or nil.
    private func find(_ key: FlowKey) -> Int? {
        let h = hash(key)
        var i = slot(h)
        while slots[i].hash != 0 {
            if slots[i].hash == h, slots[i].value!.key == key { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    subscript(key: FlowKey) -> Value? {
        get { find(key).flatMap { slots[$0].value } }
        set {
            if let newValue {
                precondition(newValue.key == key, "a value is filed under its own key")
                insert(newValue)
            } else {
                _ = removeValue(forKey: key)
            }
        }
    }

    private mutating func insert(_ value: Value) {
        if let i = find(value.key) {
            slots[i].value = value
            return
        }
        insert(new: value)
    }

    /// Files `value` under a key the table does not hold (one probe fewer than the subscript).
    mutating func insert(new value: Value) {
        assert(find(value.key) == nil, "insert(new:) of a key already filed")
        if (count + 1) * 4 > slots.count * 3 { grow() }
        let h = hash(value.key)
        var i = slot(h)
        while slots[i].hash != 0 { i = (i + 1) & mask }
        slots[i] = Slot(hash: h, value: value)
        count += 1
    }

    @discardableResult
    mutating func removeValue(forKey key: FlowKey) -> Value? {
        guard var hole = find(key) else { return nil }
        let removed = slots[hole].value
        slots[hole] = Slot(hash: 0, value: nil)
        count -= 1
        // Shift back every later entry of the run whose home slot is not between the hole and it.
        var i = (hole + 1) & mask
        while slots[i].hash != 0 {
            let distanceToHome = (i - slot(slots[i].hash)) & mask
            let distanceToHole = (i - hole) & mask
            if distanceToHome >= distanceToHole {
                slots[hole] = slots[i]
                slots[i] = Slot(hash: 0, value: nil)
                hole = i
            }
            i = (i + 1) & mask
        }
        return removed
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(hash: 0, value: nil), count: old.count * 2)
        mask = slots.count - 1
        count = 0
        for s in old {
            if let v = s.value { insert(new: v) }
        }
    }

    /// Every value, in no particular order.
    var allValues: [Value] { slots.compactMap(\.value) }

    mutating func removeAll() {
        self = FlowTable()
    }
}

/// A value that knows the flow it is filed under.
protocol FlowKeyed {
    var key: FlowKey { get }
}

extension ConnectionRecord: FlowKeyed {}

extension FlowKey {
    /// A 64-bit mix of the 4-tuple (multiply-xorshift steps, then
    /// splitmix64's finaliser). An IPv4 end is one word (address, port and
    /// bit 63), so an IPv4 key takes two steps; the protocol seeds the state.
    func mix(_ seed: UInt64) -> UInt64 {
        var h = seed &+ UInt64(proto.rawValue)
        @inline(__always) func add(_ v: UInt64) {
            h = (h ^ v) &* 0x9e37_79b9_7f4a_7c15
            h ^= h >> 29
        }
        @inline(__always) func add(_ a: SocketAddress) {
            switch a.address {
            case .v4(let v): add(1 << 63 | UInt64(v.value) << 16 | UInt64(a.port))
            case .v6(let v): add(v.high); add(v.low); add(UInt64(a.port))
            }
        }
        add(lower)
        add(upper)
        h = (h ^ (h >> 32)) &* 0xd6e8_feb8_6659_fd93
        return h ^ (h >> 32)
    }
}
