#if canImport(Glibc)
import Glibc
#endif
import RagdCore

/// Delays between attempts of an HTTP call that may be retried (the provider clients and
/// `ragd ingest` share it): exponential with jitter, or the server's `Retry-After`.
public struct RetryBackoff: Sendable {
    /// First delay; doubled per retry.
    public var base: Duration
    /// Cap on every delay, `Retry-After` included.
    public var cap: Duration

    public init(base: Duration, cap: Duration) {
        self.base = base
        self.cap = cap
    }

    /// Seconds before retry number `retry` (1-based): the server's `Retry-After` if it
    /// sent one, else `base * 2^(retry-1)` with "equal jitter" (half fixed, half random,
    /// so clients that failed together do not retry together); both capped.
    public func seconds(beforeRetry retry: Int, retryAfter: Double?) -> Double {
        let limit = cap.inSeconds
        if let retryAfter { return min(max(0, retryAfter), limit) }
        let exponential = min(limit, base.inSeconds * Double(1 << min(max(retry - 1, 0), 20)))
        return exponential / 2 + Double.random(in: 0...(exponential / 2))
    }

    /// Sleeps `seconds`, asking `shouldContinue` (when given) every 100 ms; false when it
    /// said stop.
    @discardableResult
    public static func wait(seconds: Double, shouldContinue: (() -> Bool)? = nil) -> Bool {
        let deadline = Clock.monotonicNanoseconds() + UInt64(max(0, seconds) * 1e9)
        while true {
            if let shouldContinue, !shouldContinue() { return false }
            let now = Clock.monotonicNanoseconds()
            guard now < deadline else { return true }
            sleep(nanoseconds: min(deadline - now, 100_000_000))
        }
    }

    /// `Retry-After` as delta seconds; HTTP dates are ignored (the backoff applies).
    public static func retryAfterSeconds(_ value: String?) -> Double? {
        guard let value else { return nil }
        let trimmed = value.filter { $0 != " " && $0 != "\t" }
        guard let seconds = Double(trimmed), seconds.isFinite, seconds >= 0 else { return nil }
        return seconds
    }

    private static func sleep(nanoseconds: UInt64) {
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        // nanosleep returns early on a signal (EINTR); sleep out the remainder.
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
