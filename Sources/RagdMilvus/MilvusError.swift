import RagdCore

/// An error from the Milvus client. The message names the operation and the collection,
/// never the token or other credentials, so it is safe to log.
///
/// The API layer maps `.unavailable` to 503 and `.timeout` to 504; `.invalidInput` is the
/// caller's fault (400), and `.dimensionMismatch` / `.incompatibleSchema` are start-up
/// errors (the collection was made for another embedder).
public struct MilvusError: CodedError {
    /// What kind of failure this is.
    public enum Code: String, ErrorCode {
        /// Milvus could not be reached (connection refused, DNS, TLS, reset), answered
        /// HTTP 5xx, or said it is not ready.
        case unavailable
        /// The connect or request timeout passed, or a write did not become visible to
        /// searches before `Configuration.visibilityTimeout`.
        case timeout
        /// Milvus answered with a code other than 200 in its JSON body (it reports errors
        /// as HTTP 200 with a `code`); `milvusCode` holds that code.
        case rejected
        /// The collection exists with vectors of another dimension.
        case dimensionMismatch
        /// The collection exists but is not laid out the way ragd creates it (primary key
        /// `id`, vector field `vector`, dynamic fields, COSINE index).
        case incompatibleSchema
        /// An argument was refused before any request was sent (bad tenant, id,
        /// collection name, vector or limit).
        case invalidInput
        /// Milvus's answer could not be understood (not JSON, unexpected shape, too large).
        case invalidResponse
    }

    /// `description` reads `Milvus <code> error: <message>`.
    public static let subsystem = "Milvus"

    /// The kind of failure.
    public var code: Code
    /// A human-readable message without credentials.
    public var message: String
    /// The `code` field of Milvus's JSON answer, for `.rejected` (for example 100 for
    /// "collection not found"). Default: nil.
    public var milvusCode: Int?

    /// Creates an error; `message` must already be free of secrets.
    public init(_ code: Code, _ message: String, milvusCode: Int? = nil) {
        self.code = code
        self.message = message
        self.milvusCode = milvusCode
    }
}
