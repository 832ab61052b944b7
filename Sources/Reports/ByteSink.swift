import TraceModel

/// An append-only byte buffer for fast line output, flushed in large writes.
///
/// Appends write straight into one growing allocation: no per-call Array or
/// String machinery, since decode and analyze append a few dozen pieces per
/// packet. It is noncopyable: it owns its buffer outright, so an append needs
/// no copy-on-write check (that check was 4 % of `decode`).
public struct ByteSink: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    public private(set) var count = 0

    public init(capacity: Int = 1 << 16) {
        self.capacity = Swift.max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// A copy of the bytes written so far.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Calls `body` with the bytes written so far, without copying them.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    public mutating func removeAll() { count = 0 }

    /// Makes room for `n` more bytes.
    @inline(__always)
    private mutating func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if _slowPath(count + n > capacity) { grow(n) }
        return base + count
    }

    private mutating func grow(_ n: Int) {
        var bigger = capacity
        while count + n > bigger { bigger *= 2 }
        let new = UnsafeMutablePointer<UInt8>.allocate(capacity: bigger)
        new.update(from: base, count: count)
        base.deallocate()
        base = new
        capacity = bigger
    }

    @inline(__always)
    mutating func append(_ p: UnsafeRawBufferPointer) {
        guard let src = p.baseAddress, p.count > 0 else { return }
        let dst = reserve(p.count)
        if p.count <= 16 {  // short pieces: a loop beats a call to memmove
            let s = src.assumingMemoryBound(to: UInt8.self)
            for i in 0..<p.count { dst[i] = s[i] }
        } else {
            UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: p.count)
        }
        count += p.count
    }

    @inline(__always)
    public mutating func append(_ s: StaticString) {
        append(UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Disfavoured, so that a literal takes the `StaticString` overload.
    @_disfavoredOverload
    public mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    public mutating func append(bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    @inline(__always)
    public mutating func append(byte: UInt8) {
        reserve(1).pointee = byte
        count += 1
    }

    public mutating func append<T: BinaryInteger>(decimal value: T) {
        if value < 0 {
            append(byte: UInt8(ascii: "-"))
            append(unsigned: UInt64(truncatingIfNeeded: value.magnitude))
        } else {
            append(unsigned: UInt64(truncatingIfNeeded: value))
        }
    }

    /// Decimal digits of `v`, no sign.
    public mutating func append(unsigned v: UInt64) {
        append(unsigned: v, width: Self.digitCount(v))
    }

    /// How many decimal digits `v` has (1 for 0): a few comparisons, no loop.
    @inline(__always)
    static func digitCount(_ v: UInt64) -> Int {
        if v < 100_000 {
            if v < 100 { return v < 10 ? 1 : 2 }
            return v < 1_000 ? 3 : v < 10_000 ? 4 : 5
        }
        if v < 10_000_000_000 {
            if v < 10_000_000 { return v < 1_000_000 ? 6 : 7 }
            return v < 100_000_000 ? 8 : v < 1_000_000_000 ? 9 : 10
        }
        var digits = 11
        var limit: UInt64 = 100_000_000_000
        while digits < 20 && v >= limit { limit &*= 10; digits += 1 }
        return digits
    }

    /// Decimal digits of `v`, zero-padded on the left to `width` (the lowest
    /// `width` digits when it has more).
    public mutating func append(unsigned v: UInt64, width: Int) {
        let p = reserve(width)
        // "00" "01" … "99": two digits per table entry, four per division
        // (two independent table lookups each), so the chain of divisions is short.
        let pairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
        let table = pairs.utf8Start
        var v = v
        var i = width
        while i >= 4 {
            let (q, r) = v.quotientAndRemainder(dividingBy: 10_000)
            let high = Int(truncatingIfNeeded: r / 100) &* 2
            let low = Int(truncatingIfNeeded: r % 100) &* 2
            p[i - 4] = table[high]
            p[i - 3] = table[high &+ 1]
            p[i - 2] = table[low]
            p[i - 1] = table[low &+ 1]
            v = q
            i -= 4
        }
        if i >= 2 {
            let (q, r) = v.quotientAndRemainder(dividingBy: 100)
            let at = Int(truncatingIfNeeded: r) &* 2
            p[i - 2] = table[at]
            p[i - 1] = table[at &+ 1]
            v = q
            i -= 2
        }
        if i == 1 { p[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10) }
        count += width
    }

    public mutating func append(hex value: UInt64, width: Int) {
        let p = reserve(width)
        for i in 0..<width {
            let nibble = UInt8(truncatingIfNeeded: value >> (UInt64(width - 1 - i) * 4) & 0xf)
            p[i] = nibble < 10 ? UInt8(ascii: "0") &+ nibble : UInt8(ascii: "a") &+ nibble &- 10
        }
        count += width
    }

    /// A JSON string literal, escaped per RFC 8259 §7.
    public mutating func append(jsonString s: String) {
        append(byte: UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var plain = 0  // start of the run of bytes that need no escape
            for (i, b) in utf8.enumerated() where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                append(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[plain..<i]))
                plain = i + 1
                switch b {
                case UInt8(ascii: "\""): append("\\\"")
                case UInt8(ascii: "\\"): append("\\\\")
                case UInt8(ascii: "\n"): append("\\n")
                case UInt8(ascii: "\r"): append("\\r")
                case UInt8(ascii: "\t"): append("\\t")
                default:
                    append("\\u00")
                    append(hex: UInt64(b), width: 2)
                }
            }
            append(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[plain...]))
        }
        append(byte: UInt8(ascii: "\""))
    }
}

extension ByteSink {
    /// `seconds.nnnnnnnnn`, as `Timestamp.decimalString` without building a String.
    public mutating func append(timestamp t: Timestamp) {
        append(decimal: t.seconds)
        append(byte: UInt8(ascii: "."))
        append(unsigned: UInt64(t.subsecondNanoseconds), width: 9)
    }

    /// A dotted quad, as `IPv4Address.description` without building a String.
    public mutating func append(_ a: IPv4Address) {
        append(unsigned: UInt64(a.value >> 24))
        append(byte: UInt8(ascii: "."))
        append(unsigned: UInt64(a.value >> 16 & 0xff))
        append(byte: UInt8(ascii: "."))
        append(unsigned: UInt64(a.value >> 8 & 0xff))
        append(byte: UInt8(ascii: "."))
        append(unsigned: UInt64(a.value & 0xff))
    }

    /// An address as its `description`; IPv4 without building a String.
    public mutating func append(_ a: IPAddress) {
        switch a {
        case .v4(let v): append(v)
        case .v6(let v): append(v.description)
        }
    }
}
