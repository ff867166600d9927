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

    /// Nanoseconds from `start` to `now`, 0 when `start` is later: another process may
    /// write a timestamp after we read the clock, and an unsigned difference would then
    /// wrap around to centuries (and look like a hung request).
    @inline(__always)
    public static func elapsed(from start: UInt64, to now: UInt64) -> UInt64 {
        now > start ? now - start : 0
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
        let year = Int(parts.tm_year) + 1900
        let micros = microseconds ?? 0
        guard (0...9999).contains(year), (0...999_999).contains(micros) else {
            return iso8601Padded(parts, microseconds: microseconds)
        }
        // Fixed width in the usual range: write the digits straight into the string's
        // storage (this runs for every access log line and every /health answer).
        let count = microseconds == nil ? 20 : 27
        return String(unsafeUninitializedCapacity: count) { out in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var value = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    out[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, 4, at: 0)
            out[4] = UInt8(ascii: "-"); put(Int(parts.tm_mon) + 1, 2, at: 5)
            out[7] = UInt8(ascii: "-"); put(Int(parts.tm_mday), 2, at: 8)
            out[10] = UInt8(ascii: "T"); put(Int(parts.tm_hour), 2, at: 11)
            out[13] = UInt8(ascii: ":"); put(Int(parts.tm_min), 2, at: 14)
            out[16] = UInt8(ascii: ":"); put(Int(parts.tm_sec), 2, at: 17)
            if microseconds != nil {
                out[19] = UInt8(ascii: "."); put(micros, 6, at: 20)
            }
            out[count - 1] = UInt8(ascii: "Z")
            return count
        }
    }

    /// The general form, for years outside 0...9999 or out-of-range microseconds.
    private static func iso8601Padded(_ parts: tm, microseconds: Int?) -> String {
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
