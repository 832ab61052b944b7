/// A point in time as nanoseconds since the Unix epoch (CLOCK_REALTIME).
///
/// pcap timestamps and `clock_gettime(CLOCK_REALTIME)` share this clock, so
/// capture times and syscall times compare directly.
public struct Timestamp: Hashable, Comparable, Sendable {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    public init(seconds: Int64, nanoseconds: Int64) {
        self.nanoseconds = seconds &* 1_000_000_000 &+ nanoseconds
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// Whole seconds, rounded towards negative infinity.
    public var seconds: Int64 {
        nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000
    }

    /// The nanoseconds within the second, 0..<1e9.
    public var subsecondNanoseconds: Int64 {
        nanoseconds - seconds * 1_000_000_000
    }

    /// "seconds.nnnnnnnnn", the form used by `tcpdump -tt --nano` and synscope's JSON.
    public var decimalString: String {
        var fraction = String(subsecondNanoseconds)
        while fraction.utf8.count < 9 { fraction = "0" + fraction }
        return "\(seconds).\(fraction)"
    }
}

extension Timestamp {
    /// A duration in milliseconds with three decimals (`0.037`).
    public static func milliseconds(_ ns: Int64) -> String {
        let micros = (ns + (ns >= 0 ? 500 : -500)) / 1000
        let sign = micros < 0 ? "-" : ""
        let m = abs(micros)
        var frac = String(m % 1000)
        while frac.count < 3 { frac = "0" + frac }
        return "\(sign)\(m / 1000).\(frac)"
    }
}
