/// An error from the Redis client. The message never carries the password or the URL.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidURL, unsupported, connection, timeout, authentication, reply, protocolError
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The URL cannot be parsed.
        public static let invalidURL = Code(.invalidURL)
        /// The URL asks for something this client does not do yet (for example `rediss://`).
        public static let unsupported = Code(.unsupported)
        /// Connecting failed, or the connection broke during a command.
        public static let connection = Code(.connection)
        /// The connect or command timeout passed.
        public static let timeout = Code(.timeout)
        /// AUTH was refused.
        public static let authentication = Code(.authentication)
        /// The server answered with an error reply (from the typed helpers; `command`
        /// returns error replies as `RedisReply.error` instead).
        public static let reply = Code(.reply)
        /// The server's answer had an unexpected shape.
        public static let protocolError = Code(.protocolError)

        /// The code's name, for example `timeout`.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// A human-readable message without secrets.
    public var message: String

    /// Creates an error; `message` must already be free of secrets.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// One line for logs: the code and the message.
    public var description: String { "Redis \(code) error: \(message)" }
}
