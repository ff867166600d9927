#if canImport(Glibc)
import Glibc
#endif

/// Clocks read straight from the kernel: cheap, and meaningful across processes
/// (CLOCK_MONOTONIC is system-wide, so a worker's heartbeat can be compared by the master).
public enum Clock {
    /// Nanoseconds on the system-wide monotonic clock.
    @inline(__always)
    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Seconds since the Unix epoch, with sub-second precision.
    public static func wallSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// The current UTC time as ISO-8601 with microseconds, e.g. `2026-11-27T07:01:30.123456Z`.
    public static func iso8601Now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return iso8601(seconds: ts.tv_sec, microseconds: Int(ts.tv_nsec / 1000))
    }

    /// Formats a Unix time as ISO-8601 UTC; `microseconds` nil leaves out the fraction.
    public static func iso8601(seconds: Int, microseconds: Int?) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        var s = pad(Int(parts.tm_year) + 1900, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-" + pad(Int(parts.tm_mday), 2)
        s += "T" + pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2)
        if let micros = microseconds { s += "." + pad(micros, 6) }
        return s + "Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
