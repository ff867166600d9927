/// A failure of the chat or rerank client. Messages name the provider by host (for
/// example "LLM at api.deepseek.com answered 401"), never the API key or URL user info;
/// provider messages quoted in them are scrubbed of the key, made printable and cut to
/// 200 characters.
///
/// Suggested HTTP mapping for API handlers: `.timeout` 504; `.unavailable`,
/// `.rateLimited` 503; `.unauthorized`, `.badRequest`, `.invalidResponse`,
/// `.interrupted`, `.invalidConfiguration` 502; `.aborted` needs no answer (the client
/// has gone). When `afterFirstToken` is true the client has already seen part of the
/// answer, so the failure can only be reported in-stream.
public struct LLMError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Hashable, Sendable, CustomStringConvertible {
        /// The provider refused the credentials (401 or 403); not retried.
        case unauthorized
        /// The provider answered 429, also after the retries.
        case rateLimited
        /// The provider could not be reached, or answered 5xx, also after the retries.
        case unavailable
        /// No complete answer within the configured timeout (libcurl's total or connect
        /// timeout, or a 408), also after the retries.
        case timeout
        /// The provider refused the request (400, 404, 413, 422 and other 4xx: unknown
        /// model, context too long, bad parameter); not retried.
        case badRequest
        /// The answer could not be understood (not JSON, no choices, bad SSE, bad indices).
        case invalidResponse
        /// The stream broke after it had started: it ended without `[DONE]` or a finish
        /// reason, the connection dropped, or the provider sent an error event midway.
        case interrupted
        /// The caller stopped the call (`shouldContinue` or `onDelta` returned false).
        case aborted
        /// The client was set up with unusable settings (URL, model, timeouts, retries).
        case invalidConfiguration

        /// The code's name, for example `rateLimited`.
        public var description: String { rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// One line naming the provider host; never the key.
    public var message: String
    /// The provider's HTTP status of the last attempt, when it answered one.
    public var status: Int?
    /// True when deltas had already been delivered to `onDelta` before the failure.
    public var afterFirstToken: Bool
    /// Requests made (1 + retries); 0 when the call failed before sending any.
    public var attempts: Int

    /// Creates an error; `message` must already be free of secrets.
    public init(_ code: Code, _ message: String, status: Int? = nil, afterFirstToken: Bool = false, attempts: Int = 0) {
        self.code = code
        self.message = message
        self.status = status
        self.afterFirstToken = afterFirstToken
        self.attempts = attempts
    }

    /// One line for logs: the code and the message.
    public var description: String { "LLM \(code) error: \(message)" }
}
