import RagdCore

/// An error from the Redis client. The message never carries the password or the URL.
public struct RedisError: CodedError {
    /// What kind of failure this is.
    public enum Code: String, ErrorCode {
        /// The URL cannot be parsed.
        case invalidURL
        /// The URL asks for something this client does not do yet (for example `rediss://`).
        case unsupported
        /// Connecting failed, or the connection broke during a command.
        case connection
        /// The connect or command timeout passed.
        case timeout
        /// AUTH was refused.
        case authentication
        /// The server answered with an error reply (from the typed helpers; `command`
        /// returns error replies as `RedisReply.error` instead).
        case reply
        /// The server's answer had an unexpected shape.
        case protocolError
    }

    /// `description` reads `Redis <code> error: <message>`.
    public static let subsystem = "Redis"

    /// The kind of failure.
    public var code: Code
    /// A human-readable message without secrets.
    public var message: String

    /// Creates an error; `message` must already be free of secrets.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
