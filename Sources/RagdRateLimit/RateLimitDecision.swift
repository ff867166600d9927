/// What the rate limiter decided for one request, with what the response headers need.
///
/// HTTP mapping for callers: `allowed` -> serve (add `RateLimit-*` headers unless
/// `unavailable`); `!allowed && !unavailable` -> 429 with `Retry-After`;
/// `!allowed && unavailable` -> 503 with `Retry-After` (Redis is down and the limiter
/// fails closed).
public struct RateLimitDecision: Sendable, Hashable {
    /// Whether the request may proceed.
    public var allowed: Bool
    /// The configured budget (requests per period), for `RateLimit-Limit`.
    public var limit: Int
    /// Requests that could still be made right now after this one, for
    /// `RateLimit-Remaining`. 0 when refused.
    public var remaining: Int
    /// Seconds (rounded up) until the budget is fully restored if no more requests come,
    /// for `RateLimit-Reset`.
    public var resetSeconds: Int
    /// When refused: seconds (rounded up, at least 1) until a request would be admitted,
    /// for `Retry-After`. Nil when allowed.
    public var retryAfterSeconds: Int?
    /// Redis could not be asked and the limiter fails open: allowed without counting.
    public var failedOpen: Bool
    /// Redis could not be asked. With `allowed` false this means "fail closed": answer
    /// 503, not 429.
    public var unavailable: Bool

    /// Creates a decision (normally only the limiter does).
    public init(allowed: Bool, limit: Int, remaining: Int, resetSeconds: Int, retryAfterSeconds: Int?,
                failedOpen: Bool = false, unavailable: Bool = false) {
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.resetSeconds = resetSeconds
        self.retryAfterSeconds = retryAfterSeconds
        self.failedOpen = failedOpen
        self.unavailable = unavailable
    }
}
