import RagdAuth
import RagdCache
import RagdCore
import RagdHTTP
import RagdMetrics
import RagdRateLimit

/// `RATE_LIMIT_PER_MINUTE` for every `/v1` request, as a middleware before routing.
///
/// The budget belongs to the caller: the token's tenant and subject when the request
/// carries a valid token, else the client address nginx saw (`REMOTE_ADDR`; a client's
/// own `X-Forwarded-For` is never believed). It is kept in Redis (`RateLimiter`, one
/// atomic script), so all workers and pods share it. Answers carry `RateLimit-Limit`,
/// `RateLimit-Remaining` and `RateLimit-Reset`; a refusal is 429 with `Retry-After`.
/// Redis unreachable: admitted and counted in `rag_rate_limit_fail_open_total` when
/// `RATE_LIMIT_FAIL_OPEN` is true, else 503.
struct RateLimitPolicy: Middleware {
    let context: APIContext

    func respond(to request: inout Request, next: (inout Request) -> Response) throws -> Response {
        guard request.path.hasPrefix("/v1/") else { return next(&request) }
        let settings = context.settings
        let limiter = RateLimiter(redis: context.cacheRedis(), limitPerMinute: settings.rateLimitPerMinute,
                                  failOpen: settings.rateLimitFailOpen)
        // Verified once here; the handler takes the principal from `request.caller`.
        request.caller = try? context.guardian.authenticate(request)
        let decision = limiter.admit(subject: subject(of: request))
        if decision.unavailable {
            if decision.allowed {
                MetricsRecorder.current?.recordRateLimitFailOpen()
                return next(&request)
            }
            var headers = HTTPHeaders()
            headers.add("Retry-After", String(decision.retryAfterSeconds ?? 1))
            throw Problem(status: 503, code: "rate-limiter-unavailable", title: "Service Unavailable",
                          detail: "The rate limiter cannot reach Redis and RATE_LIMIT_FAIL_OPEN is false.",
                          extensions: [("dependency", JSONText.quoted("redis"))], headers: headers)
        }
        guard decision.allowed else {
            MetricsRecorder.current?.recordRateLimitRejection()
            var headers = Self.headers(decision)
            headers.add("Retry-After", String(decision.retryAfterSeconds ?? 1))
            throw Problem(status: 429, code: "rate-limited", title: "Too Many Requests",
                          detail: "More than \(decision.limit) requests per minute; try again in \(decision.retryAfterSeconds ?? 1) s.",
                          headers: headers)
        }
        var response = next(&request)
        for field in Self.headers(decision) { response.headers.set(field.name, field.value) }
        return response
    }

    /// The budget's owner. A token that does not verify counts as anonymous (the handler
    /// then answers 401), so bad tokens cannot be used to dodge the per-address budget.
    private func subject(of request: Request) -> String {
        if let principal = request.caller as? Principal {
            return "token:" + JSONText.quoted(principal.tenant) + ":" + JSONText.quoted(principal.subject)
        }
        return "address:" + request.remoteAddress
    }

    private static func headers(_ decision: RateLimitDecision) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add("RateLimit-Limit", String(decision.limit))
        headers.add("RateLimit-Remaining", String(decision.remaining))
        headers.add("RateLimit-Reset", String(decision.resetSeconds))
        return headers
    }
}
