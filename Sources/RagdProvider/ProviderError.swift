import RagdCore

/// A failure of a call to a model provider (chat, embeddings, rerank), as the shared
/// provider layer classifies it. Messages name the provider by kind and host (for example
/// "reranker at tei:8080 answered 401"), never the API key or URL user info; provider
/// messages quoted in them are scrubbed of the key, made printable and cut to 200
/// characters.
///
/// The chat client and the reranker report it as it is (`LLMError` is this type); the
/// embedder turns it into its own `EmbeddingError`, whose callers know other embedders too.
public struct ProviderError: CodedError {
    /// What kind of failure this is.
    public enum Code: String, ErrorCode {
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
        /// model, input too long, bad parameter); not retried.
        case badRequest
        /// The answer could not be understood (not JSON, wrong shape, bad indices).
        case invalidResponse
        /// A streamed answer broke after it had started.
        case interrupted
        /// The caller stopped the call.
        case aborted
        /// The client was set up with unusable settings (URL, timeouts, retries).
        case invalidConfiguration
    }

    /// `description` reads `provider <code> error: <message>`.
    public static let subsystem = "provider"

    /// The kind of failure.
    public var code: Code
    /// One line naming the provider host; never the key.
    public var message: String
    /// The provider's HTTP status of the last attempt, when it answered one.
    public var status: Int?
    /// True when part of a streamed answer had already been handed to the caller; such a
    /// failure is never retried.
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
}
