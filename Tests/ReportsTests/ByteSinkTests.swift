@testable import Reports
import TestSupport
import Testing

/// The number writers against Swift's own `description`.
@Suite("ByteSink numbers")
struct ByteSinkTests {
    static let samples: [UInt64] = {
        var v: [UInt64] = [0, 1, 9, 10, 99, 100, 999, 1_000, 9_999, 10_000, 65_535, 99_999, 100_000, UInt64(UInt32.max), UInt64.max, UInt64.max - 1]
        var p: UInt64 = 1
        for _ in 0..<19 { p *= 10; v += [p - 1, p, p + 1] }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2_000 { v.append(UInt64.random(in: 0...UInt64.max, using: &rng) >> UInt64.random(in: 0..<64, using: &rng)) }
        return v
    }()

    @Test("append(unsigned:) writes what description does; digitCount counts it")
    func unsigned() {
        for v in Self.samples {
            var s = ByteSink()
            s.append(unsigned: v)
            #expect(String(decoding: s.bytes, as: UTF8.self) == v.description)
            #expect(ByteSink.digitCount(v) == v.description.count)
        }
    }

    @Test("append(unsigned:width:) zero-pads, or keeps the lowest digits", arguments: [1, 2, 3, 4, 5, 6, 9, 10, 20])
    func padded(width: Int) {
        for v in Self.samples {
            var s = ByteSink()
            s.append(unsigned: v, width: width)
            let full = String(repeating: "0", count: max(0, width - v.description.count)) + v.description
            #expect(String(decoding: s.bytes, as: UTF8.self) == String(full.suffix(width)), "\(v) width \(width)")
        }
    }

    @Test("decimal of negative numbers and the growth of the buffer")
    func decimalAndGrowth() {
        var s = ByteSink(capacity: 1)
        for v in [-1, Int.min, Int.max, 0, -42] { s.append(decimal: v); s.append(" ") }
        #expect(String(decoding: s.bytes, as: UTF8.self) == "-1 \(Int.min) \(Int.max) 0 -42 ")
    }

    @Test("append(html:) writes what HTMLText.escape returns")
    func htmlEscape() {
        let samples = ["", "plain", "&", "<>", "a<b>c&d\"e'f", "'start", "end&", "ünïcödé → <ok> & 🙂", "&&&&", "[::1]:8080"]
        for text in samples {
            var sink = ByteSink(capacity: 4)
            sink.append(html: text)
            #expect(sink.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } == HTMLText.escape(text), "\(text)")
        }
    }
}
