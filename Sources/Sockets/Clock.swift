import Glibc
import TraceModel

/// CLOCK_REALTIME, the clock libpcap stamps packets with (clock_gettime(2)).
public enum RealtimeClock {
    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: Int64(ts.tv_sec), nanoseconds: Int64(ts.tv_nsec))
    }

    /// Sleeps for `nanoseconds` (nanosleep(2), restarted on EINTR until the run is asked to stop).
    public static func sleep(nanoseconds: Int64) {
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR && !Interruption.isRequested { request = remaining }
    }

    /// CLOCK_MONOTONIC in nanoseconds, for deadlines.
    public static func monotonic() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
