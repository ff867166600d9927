/// The statement reader behind `DotEnv.parse`. It follows python-dotenv's `parser.py`
/// grammar step by step (including where a failed statement stops, which decides what the
/// next statement sees), working on Unicode scalars because Python indexes code points and
/// Swift's `Character` would glue `\r\n` into one.
struct DotEnvParser {
    enum Statement {
        /// `raw` is the value before `${...}` expansion; nil for a bare `KEY`.
        case binding(key: String, raw: String?, line: Int)
        case error(line: Int, reason: String)
    }

    private struct Failure: Error {
        var reason: String
    }

    private let s: [Unicode.Scalar]
    private var pos = 0
    private var line = 1

    init(_ scalars: [Unicode.Scalar]) {
        s = scalars
    }

    /// The next statement, skipping comments and blank lines; nil at the end of the text.
    mutating func nextStatement() -> Statement? {
        while true {
            skip(while: Self.isWhitespace)
            guard pos < s.count else { return nil }
            let startLine = line
            do {
                if let binding = try parseBinding(line: startLine) { return binding }
                // A comment line: nothing to report, go on.
            } catch let failure as Failure {
                // Like python-dotenv: drop the rest of the line where parsing stopped.
                skip(while: { !Self.isNewline($0) })
                if pos < s.count { advance(1) }
                return .error(line: startLine, reason: failure.reason)
            } catch {
                preconditionFailure("unexpected error \(error)")
            }
        }
    }

    // MARK: Grammar (python-dotenv parse_binding)

    private mutating func parseBinding(line startLine: Int) throws -> Statement? {
        skipExport()
        let key: String?
        if peek() == "#" {
            key = nil
        } else if peek() == "'" {
            key = try singleQuotedKey()
        } else {
            let start = pos
            skip(while: { $0 != "=" && $0 != "#" && !Self.isWhitespace($0) })
            guard pos > start else {
                throw Failure(reason: "expected a variable name")
            }
            key = string(start..<pos)
        }
        skip(while: Self.isHorizontalWhitespace)
        var value: String?
        if peek() == "=" {
            advance(1)
            skip(while: Self.isHorizontalWhitespace)
            value = try parseValue()
        }
        skipComment()
        try endOfLine(afterKey: key != nil && value == nil)
        guard let key else { return nil }
        return .binding(key: key, raw: value, line: startLine)
    }

    /// `(?:export[^\S\r\n]+)?`
    private mutating func skipExport() {
        let word: [Unicode.Scalar] = ["e", "x", "p", "o", "r", "t"]
        guard pos + word.count < s.count, Array(s[pos..<pos + word.count]) == word,
              Self.isHorizontalWhitespace(s[pos + word.count]) else { return }
        advance(word.count)
        skip(while: Self.isHorizontalWhitespace)
    }

    /// `'([^']+)'`
    private mutating func singleQuotedKey() throws -> String {
        var i = pos + 1
        while i < s.count, s[i] != "'" { i += 1 }
        guard i < s.count, i > pos + 1 else {
            throw Failure(reason: "unterminated or empty quoted variable name")
        }
        let key = string(pos + 1..<i)
        advance(i + 1 - pos)
        return key
    }

    private mutating func parseValue() throws -> String {
        switch peek() {
        case "'":
            return Self.decodeEscapes(try quotedValue(quote: "'"), quote: "'")
        case "\"":
            return Self.decodeEscapes(try quotedValue(quote: "\""), quote: "\"")
        case nil, "\n", "\r":
            return ""
        default:
            return unquotedValue()
        }
    }

    /// `'((?:\\'|[^'])*)'` (or the same with `"`), including the regex's backtracking: when no
    /// bare closing quote follows, the last escaped quote becomes the closing one.
    private mutating func quotedValue(quote: Unicode.Scalar) throws -> [Unicode.Scalar] {
        let start = pos + 1
        var i = start
        var lastEscapedQuote: Int?
        var close: Int?
        while i < s.count {
            if s[i] == "\\", i + 1 < s.count, s[i + 1] == quote {
                lastEscapedQuote = i + 1
                i += 2
            } else if s[i] == quote {
                close = i
                break
            } else {
                i += 1
            }
        }
        guard let end = close ?? lastEscapedQuote else {
            throw Failure(reason: "unterminated \(quote == "'" ? "single" : "double")-quoted value")
        }
        let body = Array(s[start..<end])
        advance(end + 1 - pos)
        return body
    }

    /// `([^\r\n]*)`, then `re.sub(r"\s+#.*", "", part).rstrip()`.
    private mutating func unquotedValue() -> String {
        let start = pos
        skip(while: { !Self.isNewline($0) })
        var end = pos
        var i = start
        while i < end {
            if Self.isWhitespace(s[i]) {
                var j = i
                while j < end, Self.isWhitespace(s[j]) { j += 1 }
                if j < end, s[j] == "#" {
                    end = i
                    break
                }
                i = j
            } else {
                i += 1
            }
        }
        while end > start, Self.isWhitespace(s[end - 1]) { end -= 1 }
        return string(start..<end)
    }

    /// `(?:[^\S\r\n]*#[^\r\n]*)?`
    private mutating func skipComment() {
        var i = pos
        while i < s.count, Self.isHorizontalWhitespace(s[i]) { i += 1 }
        guard i < s.count, s[i] == "#" else { return }
        advance(i - pos)
        skip(while: { !Self.isNewline($0) })
    }

    /// `[^\S\r\n]*(?:\r\n|\n|\r|$)`
    private mutating func endOfLine(afterKey bareKey: Bool) throws {
        skip(while: Self.isHorizontalWhitespace)
        guard pos < s.count else { return }
        if s[pos] == "\r", pos + 1 < s.count, s[pos + 1] == "\n" {
            advance(2)
        } else if Self.isNewline(s[pos]) {
            advance(1)
        } else {
            throw Failure(reason: bareKey
                ? "expected '=' after the variable name"
                : "unexpected text after the value (quote the value or start a comment with ' #')")
        }
    }

    // MARK: Escapes

    /// Double quotes: `\\[\\'\"abfnrtv]`; single quotes: `\\[\\']` (python-dotenv's sets).
    static func decodeEscapes(_ body: [Unicode.Scalar], quote: Unicode.Scalar) -> String {
        var out = String.UnicodeScalarView()
        var i = 0
        while i < body.count {
            if body[i] == "\\", i + 1 < body.count, let decoded = decode(body[i + 1], inDoubleQuotes: quote == "\"") {
                out.append(decoded)
                i += 2
            } else {
                out.append(body[i])
                i += 1
            }
        }
        return String(out)
    }

    private static func decode(_ c: Unicode.Scalar, inDoubleQuotes: Bool) -> Unicode.Scalar? {
        switch c {
        case "\\": return "\\"
        case "'": return "'"
        default: break
        }
        guard inDoubleQuotes else { return nil }
        switch c {
        case "\"": return "\""
        case "a": return "\u{07}"
        case "b": return "\u{08}"
        case "f": return "\u{0C}"
        case "n": return "\n"
        case "r": return "\r"
        case "t": return "\t"
        case "v": return "\u{0B}"
        default: return nil
        }
    }

    // MARK: Reading

    private func peek() -> Unicode.Scalar? {
        pos < s.count ? s[pos] : nil
    }

    private func string(_ range: Range<Int>) -> String {
        String(String.UnicodeScalarView(s[range]))
    }

    private mutating func skip(while predicate: (Unicode.Scalar) -> Bool) {
        var i = pos
        while i < s.count, predicate(s[i]) { i += 1 }
        advance(i - pos)
    }

    /// Moves forward, counting `\r\n`, `\n` and `\r` as one line break each.
    private mutating func advance(_ count: Int) {
        let end = pos + count
        var i = pos
        while i < end {
            if s[i] == "\n" || (s[i] == "\r" && !(i + 1 < s.count && s[i + 1] == "\n")) {
                line += 1
            }
            i += 1
        }
        pos = end
    }

    /// Python's `\s` (str.isspace): Unicode White_Space plus the separators U+001C...U+001F.
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        c.properties.isWhitespace || (0x1C...0x1F).contains(c.value)
    }

    static func isHorizontalWhitespace(_ c: Unicode.Scalar) -> Bool {
        isWhitespace(c) && !isNewline(c)
    }

    static func isNewline(_ c: Unicode.Scalar) -> Bool {
        c == "\n" || c == "\r"
    }
}
