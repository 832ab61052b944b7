import TraceModel

/// An open-addressing hash table from `FlowKey` to a connection record, with
/// linear probing and backward-shift deletion (Knuth, TAOCP vol. 3, §6.4,
/// algorithm R). One multiply-xorshift hash of the 4-tuple per lookup
/// instead of `Hasher`'s SipHash: the lookup runs once per packet.
/// The hash is seeded per table, so a crafted capture cannot choose collisions.
struct FlowTable<Value> {
    private var keys: [FlowKey?]
    private var values: [Value?]
    private var mask: Int
    private let seed: UInt64
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = Array(repeating: nil, count: size)
        values = Array(repeating: nil, count: size)
        mask = size - 1
        seed = UInt64.random(in: 0...UInt64.max) | 1
    }

    private func slot(_ key: FlowKey) -> Int {
        Int(truncatingIfNeeded: key.mix(seed)) & mask
    }

    /// The slot holding `key`, or nil.
    private func find(_ key: FlowKey) -> Int? {
        var i = slot(key)
        while let k = keys[i] {
            if k == key { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    subscript(key: FlowKey) -> Value? {
        get { find(key).flatMap { values[$0] } }
        set {
            if let newValue { insert(key, newValue) } else { _ = removeValue(forKey: key) }
        }
    }

    private mutating func insert(_ key: FlowKey, _ value: Value) {
        if let i = find(key) {
            values[i] = value
            return
        }
        if (count + 1) * 4 > keys.count * 3 { grow() }
        var i = slot(key)
        while keys[i] != nil { i = (i + 1) & mask }
        keys[i] = key
        values[i] = value
        count += 1
    }

    @discardableResult
    mutating func removeValue(forKey key: FlowKey) -> Value? {
        guard var hole = find(key) else { return nil }
        let removed = values[hole]
        keys[hole] = nil
        values[hole] = nil
        count -= 1
        // Shift back every later entry of the run whose home slot is not between the hole and it.
        var i = (hole + 1) & mask
        while let k = keys[i] {
            let home = slot(k)
            let distanceToHome = (i - home) & mask
            let distanceToHole = (i - hole) & mask
            if distanceToHome >= distanceToHole {
                keys[hole] = k
                values[hole] = values[i]
                keys[i] = nil
                values[i] = nil
                hole = i
            }
            i = (i + 1) & mask
        }
        return removed
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = Array(repeating: nil, count: oldKeys.count * 2)
        values = Array(repeating: nil, count: oldKeys.count * 2)
        mask = keys.count - 1
        count = 0
        for (k, v) in zip(oldKeys, oldValues) {
            if let k, let v { insert(k, v) }
        }
    }

    /// Every value, in no particular order.
    var allValues: [Value] { values.compactMap { $0 } }

    mutating func removeAll() {
        self = FlowTable()
    }
}

extension FlowKey {
    /// A 64-bit mix of the 4-tuple (multiply-xorshift, as splitmix64's finaliser).
    func mix(_ seed: UInt64) -> UInt64 {
        var h = seed
        @inline(__always) func add(_ v: UInt64) {
            h = (h ^ v) &* 0x9e37_79b9_7f4a_7c15
            h ^= h >> 29
        }
        @inline(__always) func add(_ a: SocketAddress) {
            switch a.address {
            case .v4(let v): add(UInt64(v.value))
            case .v6(let v): add(v.high); add(v.low)
            }
            add(UInt64(a.port))
        }
        add(lower)
        add(upper)
        add(UInt64(proto.rawValue))
        h = (h ^ (h >> 32)) &* 0xd6e8_feb8_6659_fd93
        return h ^ (h >> 32)
    }
}
