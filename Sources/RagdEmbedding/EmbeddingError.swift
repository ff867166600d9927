import RagdCore

/// An embedding failure. Messages name the endpoint without credentials and never carry
/// the API key (provider messages are scrubbed of it, truncated and made printable).
///
/// Suggested HTTP mapping for API handlers: `.timeout` 504; `.unavailable` and
/// `.rateLimited` 503; `.rejected`, `.invalidResponse` and `.invalidConfiguration` 502.
public struct EmbeddingError: CodedError {
    /// What kind of failure this is.
    public enum Code: String, ErrorCode {
        /// The provider could not be reached or answered 5xx (after the retries).
        case unavailable
        /// The provider did not answer within the timeout (after the retries).
        case timeout
        /// The provider answered 429 (after the retries).
        case rateLimited
        /// The provider refused the request with a 4xx other than 408/429 (bad key, unknown
        /// model, input too long); not retried.
        case rejected
        /// The answer was not usable: not JSON, wrong count, order or dimension.
        case invalidResponse
        /// The embedder was set up with unusable settings (URL, dimension, batch size).
        case invalidConfiguration
    }

    /// `description` reads `embedding <code> error: <message>`.
    public static let subsystem = "embedding"

    /// The kind of failure.
    public var code: Code
    /// One line without secrets.
    public var message: String
    /// The provider's HTTP status of the last attempt, if it answered.
    public var status: Int?
    /// How many requests were made for the failing batch (1 + retries). 0 before any.
    public var attempts: Int

    /// Creates an error; `message` must already be free of secrets.
    public init(_ code: Code, _ message: String, status: Int? = nil, attempts: Int = 0) {
        self.code = code
        self.message = message
        self.status = status
        self.attempts = attempts
    }
}
