@testable import Analysis
import PacketWire
import TestSupport
import Testing
import TraceModel

/// A table value: a number filed under its key.
private struct Filed: FlowKeyed, Equatable {
    var key: FlowKey
    var value: Int
}

@Suite("flow table and finding sets")
struct FlowTableTests {
    static func key(_ i: Int) -> FlowKey {
        let a = SocketAddress(.v4(IPv4Address(127, 0, 0, 1)), UInt16(truncatingIfNeeded: 1024 + i))
        let b = SocketAddress(i % 3 == 0 ? .v6(.loopback) : .v4(IPv4Address(10, 0, UInt8(i % 7), 2)), 80)
        return FlowKey(.tcp, a, b)
    }

    /// Tombstones keep only this 64-bit mix of a key: distinct keys must not share one.
    @Test("FlowKey.mix gives 300,000 distinct IPv4 and IPv6 keys 300,000 distinct values")
    func mixSpreads() {
        var seen = Set<UInt64>()
        let seed = UInt64.random(in: 0...UInt64.max)
        for i in 0..<150_000 {
            let port = UInt16(truncatingIfNeeded: 1024 + i % 60_000)
            let v4 = SocketAddress(.v4(IPv4Address(127, 0, UInt8(i / 60_000), 1)), port)
            let v6 = SocketAddress(.v6(IPv6Address(high: 0, low: UInt64(i / 60_000) + 1)), port)
            let server4 = SocketAddress(.v4(IPv4Address(127, 0, 0, 1)), 80)
            let server6 = SocketAddress(.v6(.loopback), 80)
            seen.insert(FlowKey(.tcp, v4, server4).mix(seed))
            seen.insert(FlowKey(.tcp, v6, server6).mix(seed))
        }
        #expect(seen.count == 300_000)
    }

    @Test("inserts, lookups and removals agree with a Dictionary, through growth and backward shifts")
    func agreesWithDictionary() {
        var table = FlowTable<Filed>(capacity: 4)
        var reference: [FlowKey: Int] = [:]
        var rng = SystemRandomNumberGenerator()
        for step in 0..<20_000 {
            let k = Self.key(Int.random(in: 0..<3000, using: &rng))
            if Bool.random(using: &rng) {
                table[k] = Filed(key: k, value: step)
                reference[k] = step
            } else {
                #expect(table.removeValue(forKey: k)?.value == reference.removeValue(forKey: k))
            }
            if step % 997 == 0 {
                #expect(table.count == reference.count)
                for i in 0..<3000 { #expect(table[Self.key(i)]?.value == reference[Self.key(i)]) }
            }
        }
        #expect(table.allValues.map(\.value).sorted() == reference.values.sorted())
    }

    @Test("a direction-independent key: A→B and B→A find the same entry")
    func directionIndependent() {
        var table = FlowTable<Filed>()
        let a = SocketAddress(.v4(.loopback), 40000), b = SocketAddress(.v4(.loopback), 80)
        table[FlowKey(.tcp, a, b)] = Filed(key: FlowKey(.tcp, a, b), value: 7)
        #expect(table[FlowKey(.tcp, b, a)]?.value == 7)
        #expect(table[FlowKey(.udp, b, a)] == nil)
    }

    @Test("finding positions follow declaration order; a set iterates in that order")
    func findingOrder() {
        for (i, f) in Finding.allCases.enumerated() { #expect(f.position == i) }
        let all = Findings(Finding.allCases.reversed())
        #expect(Array(all) == Finding.allCases)
        #expect(Array(Findings([.truncated, .retransmission])) == [.retransmission, .truncated])
        #expect(Array(Findings()).isEmpty)
    }

    @Test("tombstones: found until TIME-WAIT has passed since the end; a later burial on the 4-tuple outlives the earlier one")
    func tombstones() {
        let second: Int64 = 1_000_000_000, timeWait = 60 * second
        var t = Tombstones(timeWait: timeWait)
        for i in 0..<50_000 {
            t.bury(Self.key(i % 3000), originatorISN: i % 5 == 0 ? nil : SequenceNumber(UInt32(i)),
                   end: Timestamp(nanoseconds: Int64(i) * 1_000_000))
        }
        #expect(t.count == 3000)  // keys repeat every 3000: later burials replace earlier ones
        #expect(t.originatorISN(Self.key(1)) == .some(SequenceNumber(UInt32(48001))))
        // Re-bury key 7 late: it must survive the expiry of its earlier burials.
        t.bury(Self.key(7), originatorISN: nil, end: Timestamp(nanoseconds: 100 * second))
        t.expire(now: 50 * second + timeWait)
        #expect(t.count == 1)
        #expect(t.originatorISN(Self.key(7)) == .some(nil))
        #expect(t.originatorISN(Self.key(8)) == nil)
        t.expire(now: 100 * second + timeWait)
        #expect(t.count == 0)
        #expect(t.originatorISN(Self.key(7)) == nil)
    }

    /// A burial expires only with every burial before it (the tracker's
    /// expiry was a queue in burial order, and port reuse is judged by it).
    @Test("tombstones: a connection buried after a later-ending one stays until that one expires")
    func tombstonesInBurialOrder() {
        let second: Int64 = 1_000_000_000, timeWait = 60 * second
        var t = Tombstones(timeWait: timeWait)
        t.bury(Self.key(1), originatorISN: SequenceNumber(100), end: Timestamp(nanoseconds: 10 * second))
        t.bury(Self.key(2), originatorISN: SequenceNumber(200), end: Timestamp(nanoseconds: 5 * second))
        t.expire(now: 66 * second)
        #expect(t.originatorISN(Self.key(2)) == .some(SequenceNumber(200)))
        t.expire(now: 70 * second)
        #expect(t.originatorISN(Self.key(1)) == nil)
        #expect(t.originatorISN(Self.key(2)) == nil)
        #expect(t.count == 0)
    }

    /// Against a plain model: the latest burial of a key counts, live while
    /// less than TIME-WAIT has passed since its end (ends made non-decreasing
    /// in burial order). Stretches without `expire` leave more than 16
    /// generations alive, so filter bits are shared.
    @Test("tombstones agree with a dictionary model through growth, shared filter bits and expiry")
    func tombstonesAgreeWithModel() {
        let timeWait: Int64 = 8_000
        var t = Tombstones(timeWait: timeWait)
        var model: [FlowKey: (isn: SequenceNumber?, end: Int64)] = [:]
        var rng = SystemRandomNumberGenerator()
        var clock: Int64 = 0, latest = Int64.min, cutoff = Int64.min
        func check(_ k: FlowKey) {
            var expected: SequenceNumber?? = nil
            if let m = model[k], cutoff == .min || cutoff - m.end < timeWait { expected = .some(m.isn) }
            #expect(t.originatorISN(k) == expected)
        }
        for step in 0..<60_000 {
            clock += Int64.random(in: 0...3, using: &rng)
            let k = Self.key(Int.random(in: 0..<5000, using: &rng))
            let end = clock - Int64.random(in: 0...20, using: &rng)  // sometimes earlier than the last burial's
            let isn: SequenceNumber? = Bool.random(using: &rng) ? SequenceNumber(UInt32(step)) : nil
            t.bury(k, originatorISN: isn, end: Timestamp(nanoseconds: end))
            latest = max(latest, end)
            model[k] = (isn, latest)
            // Expire often in the first and last thirds, never in the middle one (40,000 ns: 40 generations).
            if (step < 20_000 || step >= 40_000) && step % 50 == 0 {
                cutoff = clock
                t.expire(now: clock)
            }
            if step % 500 == 0 { for i in stride(from: step % 7, to: 5000, by: 7) { check(Self.key(i)) } }
        }
        for i in 0..<5000 { check(Self.key(i)) }
    }
}
