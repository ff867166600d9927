/// An error from the HTTP client. The message names the method and the URL without user
/// info, query or fragment, and never any request header (so no Authorization value).
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case timeout, connect, tls, aborted, invalidRequest, responseTooLarge, other
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The connect timeout or the total timeout passed.
        public static let timeout = Code(.timeout)
        /// The host could not be resolved or refused the connection.
        public static let connect = Code(.connect)
        /// The TLS handshake or certificate verification failed.
        public static let tls = Code(.tls)
        /// A callback of the caller asked to stop (returned false).
        public static let aborted = Code(.aborted)
        /// The request cannot be sent as given (bad URL, scheme, method or header).
        public static let invalidRequest = Code(.invalidRequest)
        /// The response body passed `Options.maxResponseBytes`.
        public static let responseTooLarge = Code(.responseTooLarge)
        /// Anything else (connection reset, protocol error, ...).
        public static let other = Code(.other)

        /// The code's name, for example `timeout`.
        public var description: String { base.rawValue }
    }

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

    /// One line for logs: the code and the message.
    public var description: String { "HTTP client \(code) error: \(message)" }
}
