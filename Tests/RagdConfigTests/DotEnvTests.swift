import Foundation
import RagdTesting
import Testing

@testable import RagdConfig

/// One dotenv input and what python-dotenv 1.2.2 `dotenv_values` made of it (with
/// `FROM_ENV=env-value` in the environment and `MISSING` unset). The expectations were
/// produced by running python-dotenv on each text; `matchesLivePythonDotenv` re-checks them
/// against the python-dotenv installed on the machine, when there is one.
struct DotEnvCase: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let values: [String: String?]
    /// Lines python-dotenv reported as unparsable (it warns and skips them).
    let errorLines: [Int]

    init(_ name: String, _ text: String, values: [String: String?], errorLines: [Int]) {
        self.name = name
        self.text = text
        self.values = values
        self.errorLines = errorLines
    }

    var testDescription: String { name }

    static let environment = ["FROM_ENV": "env-value"]

    static let all: [DotEnvCase] = [
        DotEnvCase(
            "comment lines and blank lines",
            "# a comment\n\n   # indented comment\nA=1\n\n\nB=2\n",
            values: ["A": "1", "B": "2"],
            errorLines: []),
        DotEnvCase(
            "trailing comment after unquoted value",
            "A=value # trailing comment\nB=value\t# tab comment\n",
            values: ["A": "value", "B": "value"],
            errorLines: []),
        DotEnvCase(
            "hash without space is part of value",
            "A=value#not-a-comment\nB=a#b # c\n",
            values: ["A": "value#not-a-comment", "B": "a#b"],
            errorLines: []),
        DotEnvCase(
            "comment-looking value after equals",
            "A= #starts-with-hash\n",
            values: ["A": "#starts-with-hash"],
            errorLines: []),
        DotEnvCase(
            "export prefix",
            "export A=exported\nexport   B = spaced\n",
            values: ["A": "exported", "B": "spaced"],
            errorLines: []),
        DotEnvCase(
            "export as a key",
            "export=1\n",
            values: ["export": "1"],
            errorLines: []),
        DotEnvCase(
            "single quotes are literal",
            "A='literal $HOME \\n \\t'\n",
            values: ["A": "literal $HOME \\n \\t"],
            errorLines: []),
        DotEnvCase(
            "single quotes decode only backslash-quote and backslash-backslash",
            "A='it\\'s \\\\ end'\n",
            values: ["A": "it's \\ end"],
            errorLines: []),
        DotEnvCase(
            "double quotes expand escapes",
            "A=\"line1\\nline2\\ttab \\\"q\\\" back\\\\slash\"\n",
            values: ["A": "line1\nline2\ttab \"q\" back\\slash"],
            errorLines: []),
        DotEnvCase(
            "double quotes keep unknown escapes",
            "A=\"\\x \\d \\u00e9\"\nB=\"\\a\\b\\f\\v\\r\"\n",
            values: ["A": "\\x \\d \\u00e9", "B": "\u{7}\u{8}\u{c}\u{b}\r"],
            errorLines: []),
        DotEnvCase(
            "double-quoted value spans lines",
            "A=\"first\nsecond\nthird\"\nB=after\n",
            values: ["A": "first\nsecond\nthird", "B": "after"],
            errorLines: []),
        DotEnvCase(
            "single-quoted value spans lines",
            "A='first\nsecond'\nB=after\n",
            values: ["A": "first\nsecond", "B": "after"],
            errorLines: []),
        DotEnvCase(
            "comment after closing quote",
            "A=\"quoted\" # comment\nB='single'   # comment\n",
            values: ["A": "quoted", "B": "single"],
            errorLines: []),
        DotEnvCase(
            "quoted value keeps inner spaces and hashes",
            "A=\"  padded # not comment  \"\n",
            values: ["A": "  padded # not comment  "],
            errorLines: []),
        DotEnvCase(
            "unquoted value is trimmed",
            "A=   two words   \nB=x  \t \n",
            values: ["A": "two words", "B": "x"],
            errorLines: []),
        DotEnvCase(
            "empty values",
            "A=\nB=''\nC=\"\"\nD= \n",
            values: ["A": "", "B": "", "C": "", "D": ""],
            errorLines: []),
        DotEnvCase(
            "whitespace around equals",
            "A = 1\nB\t=\t2\n   C=3\n",
            values: ["A": "1", "B": "2", "C": "3"],
            errorLines: []),
        DotEnvCase(
            "bare key has no value",
            "BARE\nA=1\n",
            values: ["BARE": nil, "A": "1"],
            errorLines: []),
        DotEnvCase(
            "equals inside value",
            "A=a=b=c\nURL=postgres://u:p@h/db?x=1\n",
            values: ["A": "a=b=c", "URL": "postgres://u:p@h/db?x=1"],
            errorLines: []),
        DotEnvCase(
            "last definition wins",
            "A=1\nA=2\n",
            values: ["A": "2"],
            errorLines: []),
        DotEnvCase(
            "quoted key",
            "'QK'=v\n",
            values: ["QK": "v"],
            errorLines: []),
        DotEnvCase(
            "CRLF line endings",
            "A=1\r\nB=\"x\"\r\n# c\r\nC=3\r\n",
            values: ["A": "1", "B": "x", "C": "3"],
            errorLines: []),
        DotEnvCase(
            "no trailing newline",
            "A=1\nB=2",
            values: ["A": "1", "B": "2"],
            errorLines: []),
        DotEnvCase(
            "unicode values",
            "A=é中😀\nB=\"é\"\n",
            values: ["A": "é中😀", "B": "é"],
            errorLines: []),
        DotEnvCase(
            "interpolation from file, environment and default",
            "A=1\nB=${A}-${FROM_ENV}-${MISSING:-fallback}-${MISSING}\n",
            values: ["A": "1", "B": "1-env-value-fallback-"],
            errorLines: []),
        DotEnvCase(
            "interpolation in quotes",
            "A=x\nB=\"${A}\"\nC='${A}'\n",
            values: ["A": "x", "B": "x", "C": "x"],
            errorLines: []),
        DotEnvCase(
            "dollar without braces is literal",
            "A=$HOME $ ${\nB=${A:x}\n",
            values: ["A": "$HOME $ ${", "B": "${A:x}"],
            errorLines: []),
        DotEnvCase(
            "file value beats environment in interpolation",
            "FROM_ENV=file\nB=${FROM_ENV}\n",
            values: ["FROM_ENV": "file", "B": "file"],
            errorLines: []),
        DotEnvCase(
            "malformed: no equals and junk",
            "A=1\nNOT A PAIR\nB=2\n",
            values: ["A": "1", "B": "2"],
            errorLines: [2]),
        DotEnvCase(
            "malformed: line starting with equals",
            "A=1\n=novalue\nB=2\n",
            values: ["A": "1", "B": "2"],
            errorLines: [2]),
        DotEnvCase(
            "malformed: junk after closing quote",
            "A=\"x\" junk\nB=2\n",
            values: ["B": "2"],
            errorLines: [1]),
        DotEnvCase(
            "malformed: unterminated double quote",
            "A=1\nB=\"unterminated\nC=3\n",
            values: ["A": "1", "C": "3"],
            errorLines: [2]),
        DotEnvCase(
            "malformed: unterminated quote swallows up to the next quote",
            "R=\"open\nS=ok\nT=\"x\" junk\nU=1\n",
            values: ["U": "1"],
            errorLines: [1]),
        DotEnvCase(
            "escaped quote closes when no other quote follows",
            "A='ab\\'\nB=1\n",
            values: ["A": "ab\\", "B": "1"],
            errorLines: []),
    ]
}

/// What the Swift parser made of a case, in python-dotenv's shape: last definition wins,
/// bare keys map to nil.
private func swiftResult(_ text: String) -> (values: [String: String?], errorLines: [Int]) {
    let parsed = DotEnv.parse(text, environment: DotEnvCase.environment)
    var values: [String: String?] = [:]
    for entry in parsed.entries { values[entry.key] = .some(entry.value) }
    return (values, parsed.errors.map(\.line))
}

@Suite("DotEnv parser (python-dotenv compatible)")
struct DotEnvTests {
    @Test("agrees with python-dotenv 1.2.2", arguments: DotEnvCase.all)
    func agreesWithPythonDotenv(_ testCase: DotEnvCase) {
        let result = swiftResult(testCase.text)
        #expect(result.values == testCase.values)
        #expect(result.errorLines == testCase.errorLines)
    }

    /// Not skipped when python-dotenv is missing (a skip would pass silently in CI): the
    /// test venv has it (`scripts/stack.sh install`).
    @Test("the recorded expectations still match the installed python-dotenv")
    func matchesLivePythonDotenv() throws {
        try #require(PythonDotenv.isAvailable,
                     "no python-dotenv in \(PythonDotenv.python): run scripts/stack.sh install (or set RAGD_TEST_PYTHON)")
        let python = try PythonDotenv.parse(DotEnvCase.all.map(\.text), environment: DotEnvCase.environment)
        try #require(python.count == DotEnvCase.all.count)
        for (testCase, result) in zip(DotEnvCase.all, python) {
            #expect(result.values == testCase.values, "\(testCase.name)")
            #expect(result.errorLines == testCase.errorLines, "\(testCase.name)")
            let swift = swiftResult(testCase.text)
            #expect(swift.values == result.values, "\(testCase.name)")
        }
    }

    @Test func entriesKeepOrderLinesAndBareKeys() {
        let parsed = DotEnv.parse("# header\nA=1\n\nexport B='x'\nBARE\nA=2\n")
        #expect(parsed.entries == [
            DotEnv.Entry(key: "A", value: "1", line: 2),
            DotEnv.Entry(key: "B", value: "x", line: 4),
            DotEnv.Entry(key: "BARE", value: nil, line: 5),
            DotEnv.Entry(key: "A", value: "2", line: 6),
        ])
        #expect(parsed.values == ["A": "2", "B": "x"])
        #expect(parsed.errors.isEmpty)
    }

    @Test func multiLineValueReportsItsFirstLineAndCountsLinesAfterIt() {
        let parsed = DotEnv.parse("A=\"one\ntwo\"\nB=3\nBAD LINE\n")
        #expect(parsed.entries.map(\.line) == [1, 3])
        #expect(parsed.errors.map(\.line) == [4])
    }

    /// Deliberate difference: python-dotenv reports the line after the previous statement
    /// (here the blank line 2); ragd reports where the bad statement starts.
    @Test func malformedLineAfterBlankLinesIsReportedWhereItStarts() {
        let parsed = DotEnv.parse("A=1\n\n\nNOT A PAIR\nB=2\n")
        #expect(parsed.errors.map(\.line) == [4])
        #expect(parsed.values == ["A": "1", "B": "2"])
    }

    @Test func syntaxErrorsSayWhatIsWrongWithoutTheLineText() {
        let parsed = DotEnv.parse("SECRET_KEY hunter2hunter2\nTOKEN=\"abc\" hunter3\nPASSWORD=\"never closed\n")
        #expect(parsed.errors.map(\.description) == [
            "line 1: expected '=' after the variable name",
            "line 2: unexpected text after the value (quote the value or start a comment with ' #')",
            "line 3: unterminated double-quoted value",
        ])
        for error in parsed.errors {
            #expect(!error.description.contains("hunter"))
            #expect(!error.description.contains("never closed"))
        }
    }

    @Test func byteOrderMarkIsIgnored() {
        #expect(DotEnv.parse("\u{FEFF}A=1\n").values == ["A": "1"])
    }

    @Test func interpolationUsesEarlierFileValuesThenEnvironmentThenDefault() {
        let text = "HOST=db\nURL=postgres://${USER_NAME}@${HOST}:${PORT:-5432}/${DB:-}\nLATER=${DEFINED_LATER}\nDEFINED_LATER=x\n"
        let values = DotEnv.parse(text, environment: ["USER_NAME": "app", "HOST": "ignored"]).values
        #expect(values["URL"] == "postgres://app@db:5432/")
        #expect(values["LATER"] == "")
    }
}

/// Runs the installed python-dotenv on texts, for the cross-check.
enum PythonDotenv {
    struct Result: Equatable {
        var values: [String: String?]
        var errorLines: [Int]
    }

    static let script = """
        import io, json, sys
        from dotenv import dotenv_values
        from dotenv.parser import parse_stream
        out = []
        for text in json.load(sys.stdin):
            values = dotenv_values(stream=io.StringIO(text))
            errors = [b.original.line for b in parse_stream(io.StringIO(text)) if b.error]
            out.append({"values": values, "errorLines": errors})
        json.dump(out, sys.stdout)
        """

    /// `RAGD_TEST_PYTHON`, default the test venv that scripts/stack.sh install fills.
    static var python: String {
        ProcessInfo.processInfo.environment["RAGD_TEST_PYTHON"] ?? "/opt/ragd-test-venv/bin/python"
    }

    static let isAvailable: Bool = {
        (try? run(["-c", "import dotenv"], input: Data(), environment: [:]))?.status == 0
    }()

    static func parse(_ texts: [String], environment: [String: String]) throws -> [Result] {
        let input = try JSONEncoder().encode(texts)
        let output = try run(["-c", script], input: input, environment: environment)
        try #require(output.status == 0)
        let decoded = try #require(try JSONSerialization.jsonObject(with: output.stdout) as? [[String: Any]])
        return decoded.map { item in
            var values: [String: String?] = [:]
            for (key, value) in item["values"] as? [String: Any] ?? [:] {
                values[key] = .some(value as? String)
            }
            return Result(values: values, errorLines: item["errorLines"] as? [Int] ?? [])
        }
    }

    private static func run(
        _ arguments: [String], input: Data, environment: [String: String]
    ) throws -> (status: Int32, stdout: Data) {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "MISSING")
        env.merge(environment) { $1 }
        let result = try RagdTesting.run(python, arguments, environment: env, input: input, separateErrors: true)
        return (result.status, Data(result.output.utf8))
    }
}
