import RagdCore

/// An error from the HTTP client. The message names the method and the URL without user
/// info, query or fragment, and never any request header (so no Authorization value).
public struct HTTPClientError: CodedError {
    /// What kind of failure this is.
    public enum Code: String, ErrorCode {
        /// The connect timeout or the total timeout passed.
        case timeout
        /// The host could not be resolved or refused the connection.
        case connect
        /// The TLS handshake or certificate verification failed.
        case tls
        /// A callback of the caller asked to stop (returned false).
        case aborted
        /// The request cannot be sent as given (bad URL, scheme, method or header).
        case invalidRequest
        /// The response body passed `Options.maxResponseBytes`.
        case responseTooLarge
        /// Anything else (connection reset, protocol error, ...).
        case other
    }

    /// `description` reads `HTTP client <code> error: <message>`.
    public static let subsystem = "HTTP client"

    /// The kind of failure.
    public var code: Code
    /// A human-readable message without credentials.
    public var message: String
    /// libcurl's `CURLcode`, when the failure came from libcurl.
    public var curlCode: Int?

    /// Creates an error; `message` must already be free of secrets.
    public init(_ code: Code, _ message: String, curlCode: Int? = nil) {
        self.code = code
        self.message = message
        self.curlCode = curlCode
    }
}
