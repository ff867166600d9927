import RagdCore

/// One thing wrong with the configuration, e.g.
/// `WORKERS: "abc" is not an integer (expected 1...256)`.
///
/// The message never contains a secret: values of `SECRET_KEY`, `LLM_API_KEY` and the URLs
/// that carry passwords are described, never echoed.
public struct ConfigurationProblem: Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem this is.
    public enum Code: String, ErrorCode {
        /// A required variable is absent or empty.
        case missing
        /// The value cannot be parsed as the expected type or is out of range.
        case invalid
        /// The value is well-formed but forbidden by policy (e.g. a non-loopback FastCGI
        /// address, test routes in production).
        case notAllowed
        /// The dotenv file cannot be found or read.
        case envFile
        /// A statement in the dotenv file cannot be parsed.
        case envFileSyntax
    }

    /// The environment variable concerned, e.g. `WORKERS` (`ENV_FILE` for dotenv problems).
    public var key: String
    /// What is wrong and what is expected, without the variable name.
    public var message: String
    /// The kind of problem.
    public var code: Code

    /// Creates a problem report.
    public init(key: String, message: String, code: Code) {
        self.key = key
        self.message = message
        self.code = code
    }

    /// `KEY: message`, one line.
    public var description: String { "\(key): \(message)" }
}

/// Thrown by `Settings.load` when the configuration is unusable; it lists every problem
/// found, not just the first, so one start-up attempt shows everything to fix.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// Every problem found, in the order the settings are read (see `Settings.describe()`).
    public var problems: [ConfigurationProblem]

    /// Creates an error from its problems.
    public init(problems: [ConfigurationProblem]) {
        self.problems = problems
    }

    /// One line per problem.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
