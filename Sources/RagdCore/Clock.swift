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
        let micros = microseconds ?? 0
        let count = microseconds == nil ? 20 : 27
        var parts = tm()
        // Fixed width in the usual range: write the digits straight into the string's
        // storage (this runs for every access log line and every /health answer).
        let fixed = (0...999_999).contains(micros) ? String(unsafeUninitializedCapacity: count) { out in
            guard formatSecond(seconds, into: out.baseAddress!, parts: &parts) else { return 0 }
            if microseconds != nil {
                out[19] = UInt8(ascii: ".")
                writeDigits(micros, width: 6, into: out.baseAddress! + 20)
            }
            out[count - 1] = UInt8(ascii: "Z")
            return count
        } : ""
        guard fixed.isEmpty else { return fixed }
        var t = time_t(seconds)
        gmtime_r(&t, &parts)
        return iso8601Padded(parts, microseconds: microseconds)
    }

    /// Calls `body` with the UTF-8 of the current UTC time as `iso8601Now()` formats it,
    /// without making a String (for callers that copy it into their own buffer).
    /// (Not generic: an unspecialized generic call from another module cost more than the
    /// formatting.)
    public static func withISO8601Now(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        withISO8601(seconds: ts.tv_sec, microseconds: Int(ts.tv_nsec / 1000), body)
    }

    /// Calls `body` with the UTF-8 of `iso8601(seconds:microseconds:)`, the date and time
    /// of day of the last second formatted taken from a cache (see `SecondCache`).
    public static func withISO8601(seconds: Int, microseconds: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 27) { text in
            guard (0...999_999).contains(microseconds), secondCache.copy(seconds, into: text.baseAddress!) else {
                let general = Array(iso8601(seconds: seconds, microseconds: microseconds).utf8)
                general.withUnsafeBufferPointer(body)
                return
            }
            text[19] = UInt8(ascii: ".")
            writeDigits(microseconds, width: 6, into: text.baseAddress! + 20)
            text[26] = UInt8(ascii: "Z")
            body(UnsafeBufferPointer(text))
        }
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS` (19 bytes) of a Unix time at `out`; false (and nothing
    /// meaningful written) when the year is outside 0...9999.
    fileprivate static func formatSecond(_ seconds: Int, into out: UnsafeMutablePointer<UInt8>, parts: inout tm) -> Bool {
        var t = time_t(seconds)
        gmtime_r(&t, &parts)
        let year = Int(parts.tm_year) + 1900
        guard (0...9999).contains(year) else { return false }
        writeDigits(year, width: 4, into: out)
        out[4] = UInt8(ascii: "-"); writeDigits(Int(parts.tm_mon) + 1, width: 2, into: out + 5)
        out[7] = UInt8(ascii: "-"); writeDigits(Int(parts.tm_mday), width: 2, into: out + 8)
        out[10] = UInt8(ascii: "T"); writeDigits(Int(parts.tm_hour), width: 2, into: out + 11)
        out[13] = UInt8(ascii: ":"); writeDigits(Int(parts.tm_min), width: 2, into: out + 14)
        out[16] = UInt8(ascii: ":"); writeDigits(Int(parts.tm_sec), width: 2, into: out + 17)
        return true
    }

    /// The last `width` decimal digits of a non-negative `value`, zero-padded, at `out`.
    @inline(__always)
    private static func writeDigits(_ value: Int, width: Int, into out: UnsafeMutablePointer<UInt8>) {
        var value = value
        for index in stride(from: width - 1, through: 0, by: -1) {
            out[index] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        }
    }

    private static let secondCache = SecondCache()

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

/// The formatted date and time of day of the last second asked for, shared by the threads
/// of a process. Every request formats the current time once or twice (its access log
/// line, `/health`), and the second changes far less often: `gmtime_r` (which takes
/// glibc's time-zone lock) and the digits are paid once a second instead of per request.
///
/// A thread that finds the cache busy formats the second itself rather than wait; so does
/// every thread in a child forked while another thread held the lock (it stays locked
/// there), which is slower but writes the same text.
private final class SecondCache: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// The second `text` holds; `Int.min` before the first.
    private var second = Int.min
    private let text = UnsafeMutablePointer<UInt8>.allocate(capacity: 19)

    init() { pthread_mutex_init(lock, nil) }

    /// Copies `YYYY-MM-DDTHH:MM:SS` of `seconds` (19 bytes) to `out`; false when the year
    /// is outside 0...9999.
    func copy(_ seconds: Int, into out: UnsafeMutablePointer<UInt8>) -> Bool {
        var parts = tm()
        guard pthread_mutex_trylock(lock) == 0 else {
            return Clock.formatSecond(seconds, into: out, parts: &parts)
        }
        defer { pthread_mutex_unlock(lock) }
        if seconds != second {
            guard Clock.formatSecond(seconds, into: text, parts: &parts) else { return false }
            second = seconds
        }
        out.initialize(from: text, count: 19)
        return true
    }
}
