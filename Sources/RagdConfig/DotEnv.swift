/// A parsed `.env` file, read the way python-dotenv 1.x (`dotenv_values`) reads it, so that
/// the same file gives the same values to ragd as to the Python service it replaces.
///
/// Rules (each checked against python-dotenv 1.2.2 in the tests):
/// * blank lines and lines starting with `#` are skipped; `export KEY=value` is `KEY=value`;
///   whitespace around `=` is ignored.
/// * unquoted values run to the end of the line, lose a trailing ` # comment` (the `#` must
///   follow whitespace: `a#b` stays `a#b`) and trailing whitespace.
/// * single-quoted values are literal except `\'` and `\\` (python-dotenv decodes those two).
/// * double-quoted values decode `\\ \' \" \a \b \f \n \r \t \v`; other backslashes stay.
/// * both quote styles may span several lines; only a comment may follow the closing quote.
/// * `KEY=` is the empty string; a bare `KEY` has no value (`nil`) and sets nothing.
/// * `${NAME}` and `${NAME:-default}` are expanded in every value (quoted or not), as
///   python-dotenv does: from keys defined earlier in the file, then from `environment`,
///   else the default or the empty string. `$NAME` without braces is left alone.
///
/// Deliberate differences: a leading UTF-8 byte order mark is ignored (python-dotenv makes it
/// part of the first key), and a malformed statement is reported with the line it starts on
/// (python-dotenv reports the line after the previous statement, which may be a blank line).
public struct DotEnv: Sendable, Equatable {
    /// One `KEY=value` statement, in file order.
    public struct Entry: Sendable, Equatable {
        /// The variable name.
        public var key: String
        /// The value after unquoting, escapes and `${...}` expansion; `nil` for a bare `KEY`.
        public var value: String?
        /// The 1-based line the statement starts on.
        public var line: Int
    }

    /// A statement that could not be parsed. It never carries the line's text, which may
    /// hold a secret.
    public struct SyntaxError: Sendable, Equatable, CustomStringConvertible {
        /// The 1-based line the malformed statement starts on.
        public var line: Int
        /// What was wrong, e.g. `expected '=' after the variable name`.
        public var reason: String

        public var description: String { "line \(line): \(reason)" }
    }

    /// Every statement with a key, in file order (a key may repeat; the last one wins).
    public var entries: [Entry]
    /// Malformed statements; python-dotenv skips them with a warning, ragd refuses to start.
    public var errors: [SyntaxError]

    /// The effective values: the last statement for a key wins; a bare `KEY` (no `=`) sets
    /// nothing, and after `KEY=v` it unsets `KEY` (python-dotenv maps it to None).
    public var values: [String: String] {
        var result: [String: String] = [:]
        for entry in entries {
            if let value = entry.value { result[entry.key] = value } else { result[entry.key] = nil }
        }
        return result
    }

    /// Parses the text of a `.env` file.
    /// - Parameter environment: where `${NAME}` looks after the keys defined earlier in the
    ///   file (python-dotenv's `dotenv_values` uses `os.environ`). Default: empty.
    public static func parse(_ text: String, environment: [String: String] = [:]) -> DotEnv {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var parser = DotEnvParser(scalars)
        var entries: [Entry] = []
        var errors: [SyntaxError] = []
        // Keys defined so far; a bare `KEY` is recorded as nil and expands to "" (as in python-dotenv).
        var defined: [String: String?] = [:]
        while let statement = parser.nextStatement() {
            switch statement {
            case .binding(let key, let raw, let line):
                let value = raw.map { expandVariables(in: $0, defined: defined, environment: environment) }
                defined[key] = .some(value)
                entries.append(Entry(key: key, value: value, line: line))
            case .error(let line, let reason):
                errors.append(SyntaxError(line: line, reason: reason))
            }
        }
        return DotEnv(entries: entries, errors: errors)
    }

    /// Expands `${NAME}` / `${NAME:-default}` like python-dotenv's `_posix_variable`.
    static func expandVariables(
        in value: String, defined: [String: String?], environment: [String: String]
    ) -> String {
        guard value.contains("${") else { return value }
        let s = Array(value.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            if s[i] == "$", i + 1 < s.count, s[i + 1] == "{", let match = matchVariable(s, from: i + 2) {
                let resolved: String
                if let fileValue = defined[match.name] {
                    resolved = fileValue ?? ""
                } else if let envValue = environment[match.name] {
                    resolved = envValue
                } else {
                    resolved = match.fallback ?? ""
                }
                out.append(contentsOf: resolved.unicodeScalars)
                i = match.end
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return String(out)
    }

    /// Matches `NAME(:-DEFAULT)?}` starting at `start`; `end` is the index after `}`.
    private static func matchVariable(
        _ s: [Unicode.Scalar], from start: Int
    ) -> (name: String, fallback: String?, end: Int)? {
        var i = start
        while i < s.count, s[i] != "}", s[i] != ":" { i += 1 }
        let name = String(String.UnicodeScalarView(s[start..<i]))
        guard i < s.count else { return nil }
        if s[i] == "}" { return (name, nil, i + 1) }
        // s[i] == ":" — only `:-` introduces a default.
        guard i + 1 < s.count, s[i + 1] == "-" else { return nil }
        let defaultStart = i + 2
        var j = defaultStart
        while j < s.count, s[j] != "}" { j += 1 }
        guard j < s.count else { return nil }
        return (name, String(String.UnicodeScalarView(s[defaultStart..<j])), j + 1)
    }
}
