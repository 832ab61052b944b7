import PacketWire
import Testing

@Suite("SequenceNumber")
struct SequenceNumberTests {
    static let ordered: [(a: UInt32, b: UInt32)] = [
        (0, 1),
        (1000, 2000),
        // Across the wrap at 2^32.
        (0xffff_ffff, 0),
        (0xffff_fff0, 0x10),
        (0xf000_0000, 0x0fff_ffff),
        // Just under half the space apart.
        (0, 0x7fff_ffff),
        (0x8000_0000, 0xffff_ffff),
        (0x9000_0000, 0x1000_0000 - 1),
    ]

    @Test("isBefore/isAfter within half the number space, across the wrap", arguments: ordered)
    func order(a: UInt32, b: UInt32) {
        let x = SequenceNumber(a), y = SequenceNumber(b)
        #expect(x.isBefore(y))
        #expect(!x.isAfter(y))
        #expect(y.isAfter(x))
        #expect(!y.isBefore(x))
        #expect(y.distance(from: x) == b &- a)
        #expect(y.signedDistance(from: x) > 0)
        #expect(x.signedDistance(from: y) < 0)
        #expect(x + y.distance(from: x) == y)
        #expect(y - y.distance(from: x) == x)
    }

    @Test("a number is neither before nor after itself", arguments: [UInt32(0), 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff])
    func equal(v: UInt32) {
        let s = SequenceNumber(v)
        #expect(!s.isBefore(s))
        #expect(!s.isAfter(s))
        #expect(s.distance(from: s) == 0)
    }

    @Test("exactly 2^31 apart: each is 'before' the other, as the kernel's before() says")
    func halfSpace() {
        // (s32)(a - b) is INT32_MIN both ways: order is undefined there, and
        // before() answers true for both. Analysis must not rely on it.
        let a = SequenceNumber(0), b = SequenceNumber(0x8000_0000)
        #expect(a.isBefore(b))
        #expect(b.isBefore(a))
        #expect(a.signedDistance(from: b) == Int32.min)
    }

    @Test("arithmetic wraps modulo 2^32")
    func wrap() {
        #expect(SequenceNumber(0xffff_ffff) + 1 == SequenceNumber(0))
        #expect(SequenceNumber(0xffff_fff0) + 0x20 == SequenceNumber(0x10))
        #expect(SequenceNumber(0) - 1 == SequenceNumber(0xffff_ffff))
        #expect(SequenceNumber(0x10).distance(from: SequenceNumber(0xffff_fff0)) == 0x20)
        #expect(SequenceNumber(0xffff_fff0).distance(from: SequenceNumber(0x10)) == 0xffff_ffe0)
        #expect(SequenceNumber(0x10).signedDistance(from: SequenceNumber(0xffff_fff0)) == 0x20)
        #expect(SequenceNumber(0xffff_fff0).signedDistance(from: SequenceNumber(0x10)) == -0x20)
        // A SYN at ISN 0xffffffff takes one sequence number; the first data byte is 0.
        #expect((SequenceNumber(0xffff_ffff) + 1).rawValue == 0)
    }

    @Test("description is the decimal raw value")
    func description() {
        #expect(SequenceNumber(4_294_967_295).description == "4294967295")
        #expect(SequenceNumber(rawValue: 7) == SequenceNumber(7))
    }
}
