import RagdCore

/// An error from the PostgreSQL client.
///
/// The message never carries the password or the connection string: libpq's own text is
/// passed through a redactor that removes every form of the password found in the URL.
/// Host and port may appear (they help an operator and are not secret).
public struct PostgresError: CodedError {
    /// What kind of failure this is.
    public enum Code: String, ErrorCode {
        /// The URL cannot be parsed by libpq or is not a `postgres://` URL.
        case invalidURL
        /// Connecting failed, or the connection broke while a query was in flight.
        case connection
        /// A client-side deadline passed, or the server cancelled a statement because of
        /// `statement_timeout` (SQLSTATE 57014).
        case timeout
        /// The server rejected the query (see `sqlState`).
        case query
        /// A bind parameter cannot be sent (for example it contains a NUL byte).
        case invalidParameter
    }

    /// `description` reads `PostgreSQL <code> error [<SQLSTATE>]: <message>`, without the
    /// brackets when there is no SQLSTATE.
    public static let subsystem = "PostgreSQL"

    /// The kind of failure.
    public var code: Code
    /// A human-readable, redacted message.
    public var message: String
    /// The five-character SQLSTATE when the server reported one (for example `23505`).
    public var sqlState: String?

    /// Creates an error; `message` must already be free of secrets.
    public init(_ code: Code, _ message: String, sqlState: String? = nil) {
        self.code = code
        // libpq's messages span lines ("...unexpectedly\n\tThis probably means...");
        // one line keeps log records whole.
        self.message = message.split(whereSeparator: \.isNewline)
            .map { $0.trimmingPrefix(while: \.isWhitespace) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
        self.sqlState = sqlState
    }

    /// One line for logs: the code, the SQLSTATE if any, and the message.
    public var description: String {
        "\(Self.subsystem) \(code) error\(sqlState.map { " [\($0)]" } ?? ""): \(message)"
    }
}
