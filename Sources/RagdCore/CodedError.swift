/// The code of an error: which kind of failure it is, the thing callers switch on, written
/// in logs by its name (an enum's case name, for example `timeout`).
///
/// Every error type of ragd keeps its own `Code` enum, documenting what each case means
/// where it is thrown; this protocol only gives them the one `description` they share.
public protocol ErrorCode: RawRepresentable<String>, Hashable, Sendable, CustomStringConvertible {}

extension ErrorCode {
    /// The code's name, for example `timeout`.
    public var description: String { rawValue }
}

/// An error of one of ragd's clients (Redis, Milvus, HTTP, a model provider...): a code
/// and a message that is already free of secrets, so that the error is safe to log.
///
/// It keeps every such error printed the same way, in one line:
/// `<subsystem> <code> error: <message>` (for example `Redis timeout error: ...`). An
/// error with more to say (PostgreSQL's SQLSTATE) writes its own `description`.
public protocol CodedError: Error, Sendable, CustomStringConvertible {
    associatedtype Code: ErrorCode

    /// What failed, as the first words of `description`, for example `Redis`.
    static var subsystem: String { get }
    /// The kind of failure.
    var code: Code { get }
    /// A human-readable message without credentials.
    var message: String { get }
}

extension CodedError {
    /// One line for logs: the subsystem, the code and the message.
    public var description: String { "\(Self.subsystem) \(code) error: \(message)" }
}
