import TraceModel

/// An open-addressing hash table from `FlowKey` to a connection record, with
/// linear probing and backward-shift deletion (Knuth, TAOCP vol. 3, §6.4,
/// algorithm R). One multiply-xorshift hash of the 4-tuple per lookup
/// instead of `Hasher`'s SipHash: the lookup runs once per packet.
/// The hash is seeded per table, so a crafted capture cannot choose collisions.
/// A value carries its own key, so a slot holds only the hash and the value
/// (16 bytes for a class).
struct FlowTable<Value: FlowKeyed> {
    /// Each slot's hash (0: empty), compared before its value's key.
    private var hashes: [UInt64]
    private var values: [Value?]
    private var mask: Int
    private let seed: UInt64
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        hashes = Array(repeating: 0, count: size)
        values = Array(repeating: nil, count: size)
        mask = size - 1
        seed = UInt64.random(in: 0...UInt64.max) | 1
    }

    private func hash(_ key: FlowKey) -> UInt64 { max(key.mix(seed), 1) }

    private func slot(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: hash) & mask }

    /// The slot holding `key`, or nil.
    private func find(_ key: FlowKey) -> Int? {
        let h = hash(key)
        var i = slot(h)
        while hashes[i] != 0 {
            if hashes[i] == h, values[i]!.key == key { return i }
            i = (i + 1) & mask
        }
        return nil
    }

    subscript(key: FlowKey) -> Value? {
        get { find(key).flatMap { values[$0] } }
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
            values[i] = value
            return
        }
        insert(new: value)
    }

    /// Files `value` under a key the table does not hold (one probe fewer than the subscript).
    mutating func insert(new value: Value) {
        assert(find(value.key) == nil, "insert(new:) of a key already filed")
        if (count + 1) * 4 > values.count * 3 { grow() }
        let h = hash(value.key)
        var i = slot(h)
        while hashes[i] != 0 { i = (i + 1) & mask }
        hashes[i] = h
        values[i] = value
        count += 1
    }

    @discardableResult
    mutating func removeValue(forKey key: FlowKey) -> Value? {
        guard var hole = find(key) else { return nil }
        let removed = values[hole]
        hashes[hole] = 0
        values[hole] = nil
        count -= 1
        // Shift back every later entry of the run whose home slot is not between the hole and it.
        var i = (hole + 1) & mask
        while hashes[i] != 0 {
            let distanceToHome = (i - slot(hashes[i])) & mask
            let distanceToHole = (i - hole) & mask
            if distanceToHome >= distanceToHole {
                hashes[hole] = hashes[i]
                values[hole] = values[i]
                hashes[i] = 0
                values[i] = nil
                hole = i
            }
            i = (i + 1) & mask
        }
        return removed
    }

    private mutating func grow() {
        let oldValues = values
        hashes = Array(repeating: 0, count: oldValues.count * 2)
        values = Array(repeating: nil, count: oldValues.count * 2)
        mask = values.count - 1
        count = 0
        for v in oldValues {
            if let v { insert(new: v) }
        }
    }

    /// Every value, in no particular order.
    var allValues: [Value] { values.compactMap { $0 } }

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
