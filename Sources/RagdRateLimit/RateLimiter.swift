import RagdCache
import RagdRedis

/// A rate limit shared by every thread, worker and pod, kept in Redis.
///
/// Algorithm: GCRA (the generic cell rate algorithm, equivalent to a token bucket of
/// `limit` tokens refilled continuously at `limit` per `period`). Per subject Redis stores
/// one number, the "theoretical arrival time" (TAT) in microseconds. With emission interval
/// T = period / limit, a request at time `now` is admitted when
/// `max(TAT, now) + T - period <= now`, and then TAT becomes `max(TAT, now) + T`.
///
/// Burst behaviour: a subject that has been quiet for a whole period may send `limit`
/// requests at once; after that one request per T (period / limit) is admitted, so the
/// long-run rate is `limit` per period. Because the bucket refills while it is being
/// used, any 60-second window can see up to `2 * limit - 1` admissions (a full burst,
/// then steady refills), never more; a client that keeps sending is held to `limit`
/// per period on average.
///
/// The whole decision is one Lua script (EVALSHA, EVAL on NOSCRIPT), so concurrent
/// requests from any number of workers never over-admit, and it reads Redis's own clock
/// (TIME), so pods with skewed clocks share one budget. The key is prefix + `rl:` +
/// SHA-256 hex of the subject (a token subject or client address), and it expires when the
/// bucket is full again, so idle subjects cost no memory.
///
/// With Redis unavailable the decision follows `failOpen`: allowed without counting
/// (`failedOpen`), or refused with `unavailable` and a `Retry-After` of 1 second.
public struct RateLimiter {
    /// Requests per `period` (at least 1).
    public let limit: Int
    /// The period the limit applies to. Default: 60 seconds.
    public let period: Duration
    /// Whether a request is allowed when Redis cannot be asked.
    public let failOpen: Bool
    private let redis: CacheRedis
    /// T in microseconds, and the period as exactly `limit * T`, so a full burst is
    /// exactly `limit` requests even when the period does not divide evenly.
    private let intervalMicros: Int64
    private let periodMicros: Int64

    /// `limitPerMinute` requests per minute per subject (values below 1 count as 1).
    public init(redis: CacheRedis, limitPerMinute: Int, failOpen: Bool) {
        self.init(redis: redis, limit: limitPerMinute, period: .seconds(60), failOpen: failOpen)
    }

    /// `limit` requests per `period` per subject (values below 1 count as 1; the period is
    /// at least 1 ms).
    public init(redis: CacheRedis, limit: Int, period: Duration, failOpen: Bool) {
        self.redis = redis
        self.limit = max(1, limit)
        self.period = max(period, .milliseconds(1))
        self.failOpen = failOpen
        let (seconds, attoseconds) = self.period.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        intervalMicros = max(1, micros / Int64(self.limit))
        periodMicros = intervalMicros * Int64(self.limit)
    }

    /// Counts one request of `subject` and decides on it.
    public func admit(subject: String) -> RateLimitDecision {
        let key = redis.key("rl:" + CacheDigest.hex(subject))
        let arguments = [Array(String(intervalMicros).utf8), Array(String(periodMicros).utf8)]
        let reply = redis.run { connection throws(RedisError) -> [Int64] in
            let reply = try Self.script.run(on: connection, keys: [key], arguments: arguments)
            guard case .array(let elements) = reply, elements.count == 4 else {
                throw RedisError(.protocolError, "unexpected answer from the rate limit script")
            }
            var values: [Int64] = []
            for element in elements {
                guard let value = element.integer else {
                    throw RedisError(.protocolError, "unexpected answer from the rate limit script")
                }
                values.append(value)
            }
            return values
        }
        guard let values = reply else {
            if failOpen {
                return RateLimitDecision(allowed: true, limit: limit, remaining: limit, resetSeconds: 0,
                                         retryAfterSeconds: nil, failedOpen: true, unavailable: true)
            }
            return RateLimitDecision(allowed: false, limit: limit, remaining: 0, resetSeconds: 1,
                                     retryAfterSeconds: 1, failedOpen: false, unavailable: true)
        }
        let allowed = values[0] == 1
        let remaining = Int(max(0, min(values[1], Int64(limit))))
        let reset = Self.seconds(values[2])
        if allowed {
            return RateLimitDecision(allowed: true, limit: limit, remaining: remaining, resetSeconds: reset,
                                     retryAfterSeconds: nil)
        }
        return RateLimitDecision(allowed: false, limit: limit, remaining: 0, resetSeconds: reset,
                                 retryAfterSeconds: max(1, Self.seconds(values[3])))
    }

    /// Microseconds to whole seconds, rounded up.
    private static func seconds(_ micros: Int64) -> Int {
        Int(max(0, (micros + 999_999) / 1_000_000))
    }

    /// KEYS[1]: the subject's key. ARGV[1]: T in microseconds; ARGV[2]: the period in
    /// microseconds (limit * T). Returns {allowed 1/0, remaining, microseconds until the
    /// bucket is full, microseconds until the next admission (0 when allowed)}.
    /// Microsecond times since the epoch (~1.7e15) are exact in Lua's doubles (< 2^53);
    /// they are written with %.0f because tostring would use exponent notation.
    private static let script = RedisScript("""
        local interval = tonumber(ARGV[1])
        local period = tonumber(ARGV[2])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local tat = now
        local stored = redis.call('GET', KEYS[1])
        if stored then
          local value = tonumber(stored)
          if value and value > now then tat = value end
        end
        local newTat = tat + interval
        local allowAt = newTat - period
        if now < allowAt then
          return {0, 0, tat - now, allowAt - now}
        end
        local ttl = math.ceil((newTat - now) / 1000)
        redis.call('SET', KEYS[1], string.format('%.0f', newTat), 'PX', string.format('%.0f', ttl))
        return {1, math.floor((period - (newTat - now)) / interval), newTat - now, 0}
        """)
}
