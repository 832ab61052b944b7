@testable import Analysis
import Testing
import TraceModel

@Suite("flow table and finding sets")
struct FlowTableTests {
    static func key(_ i: Int) -> FlowKey {
        let a = SocketAddress(.v4(IPv4Address(127, 0, 0, 1)), UInt16(truncatingIfNeeded: 1024 + i))
        let b = SocketAddress(i % 3 == 0 ? .v6(.loopback) : .v4(IPv4Address(10, 0, UInt8(i % 7), 2)), 80)
        return FlowKey(.tcp, a, b)
    }

    @Test("inserts, lookups and removals agree with a Dictionary, through growth and backward shifts")
    func agreesWithDictionary() {
        var table = FlowTable<Int>(capacity: 4)
        var reference: [FlowKey: Int] = [:]
        var rng = SystemRandomNumberGenerator()
        for step in 0..<20_000 {
            let k = Self.key(Int.random(in: 0..<3000, using: &rng))
            if Bool.random(using: &rng) {
                table[k] = step
                reference[k] = step
            } else {
                #expect(table.removeValue(forKey: k) == reference.removeValue(forKey: k))
            }
            if step % 997 == 0 {
                #expect(table.count == reference.count)
                for i in 0..<3000 { #expect(table[Self.key(i)] == reference[Self.key(i)]) }
            }
        }
        #expect(table.allValues.sorted() == reference.values.sorted())
    }

    @Test("a direction-independent key: A→B and B→A find the same entry")
    func directionIndependent() {
        var table = FlowTable<String>()
        let a = SocketAddress(.v4(.loopback), 40000), b = SocketAddress(.v4(.loopback), 80)
        table[FlowKey(.tcp, a, b)] = "x"
        #expect(table[FlowKey(.tcp, b, a)] == "x")
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
}
