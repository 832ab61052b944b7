import Testing
import TraceModel

@Suite("Timestamp")
struct TimestampTests {
    @Test("decimal form has nine decimals", arguments: [
        (Int64(1_795_309_354_450_065_000), "1795309354.450065000"),
        (0, "0.000000000"),
        (1, "0.000000001"),
        (-1, "-1.999999999"),
    ])
    func decimal(_ ns: Int64, _ text: String) {
        #expect(Timestamp(nanoseconds: ns).decimalString == text)
    }

    @Test func secondsAndFraction() {
        let t = Timestamp(seconds: 12, nanoseconds: 345)
        #expect(t.nanoseconds == 12_000_000_345)
        #expect(t.seconds == 12)
        #expect(t.subsecondNanoseconds == 345)
        #expect(Timestamp(nanoseconds: -1).seconds == -1)
    }

    @Test func linkTypeNames() {
        #expect(LinkType.ethernet.name == "EN10MB")
        #expect(LinkType.linuxSLL2.name == "LINUX_SLL2")
        #expect(LinkType(rawValue: 147).name == "LINKTYPE_147")
    }
}
