/// Reads raw values (environment first, then the dotenv file), converts them to typed values
/// and collects every problem instead of stopping at the first. On a bad value it returns
/// the default so that reading can go on and report the rest.
///
/// The typed helpers echo the bad value in their messages, so they are only for non-secret
/// variables; secrets are read with `raw(_:)` and described without their value.
struct SettingsReader {
    private let environment: [String: String]
    private let file: [String: String]
    private(set) var problems: [ConfigurationProblem] = []
    private(set) var sources: [String: ValueSource] = [:]

    init(environment: [String: String], file: [String: String]) {
        self.environment = Self.caseInsensitive(environment)
        self.file = Self.caseInsensitive(file)
    }

    /// Upper-cases names like pydantic-settings' case-insensitive matching; where two names
    /// differ only in case, the one spelled in upper case wins (else the first in sort order,
    /// so the result does not depend on dictionary order).
    private static func caseInsensitive(_ values: [String: String]) -> [String: String] {
        var result: [String: String] = [:]
        for key in values.keys.sorted(by: >) where key != key.uppercased() {
            result[key.uppercased()] = values[key]
        }
        for (key, value) in values where key == key.uppercased() {
            result[key] = value
        }
        return result
    }

    /// The raw value and records its source; nil when the variable is set nowhere.
    mutating func raw(_ key: String) -> String? {
        if let value = environment[key] {
            sources[key] = .environment
            return value
        }
        if let value = file[key] {
            sources[key] = .envFile
            return value
        }
        return nil
    }

    mutating func report(_ key: String, _ message: String, _ code: ConfigurationProblem.Code = .invalid) {
        problems.append(ConfigurationProblem(key: key, message: message, code: code))
    }

    /// A non-empty string, taken as written.
    mutating func string(_ key: String, default defaultValue: String) -> String {
        guard let value = raw(key) else { return defaultValue }
        guard !value.trimmingWhitespace().isEmpty else {
            report(key, "must not be empty (default \(quoted(defaultValue)))")
            return defaultValue
        }
        return value
    }

    /// A value that may be left out: nil when absent or blank, else trimmed.
    mutating func optionalText(_ key: String) -> String? {
        guard let value = raw(key)?.trimmingWhitespace(), !value.isEmpty else { return nil }
        return value
    }

    /// Text put before model inputs (`"query: "`): taken as written, since its trailing
    /// space matters; empty when absent. Control characters and more than 64 characters
    /// are refused: a prefix that long is a mistake, not a convention.
    mutating func inputPrefix(_ key: String) -> String {
        guard let value = raw(key) else { return "" }
        guard value.count <= 64, !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            report(key, "must be at most 64 characters without control characters (e.g. \"query: \")")
            return ""
        }
        return value
    }

    /// A secret that may be left out: nil when absent or blank, else taken as written.
    mutating func optionalSecret(_ key: String) -> Secret? {
        guard let value = raw(key), !value.trimmingWhitespace().isEmpty else { return nil }
        return Secret(value)
    }

    /// An http(s) base URL that may be left out (nil when absent or blank); a bad one is
    /// reported and also gives nil.
    mutating func optionalWebAddress(_ key: String) -> String? {
        guard let text = optionalText(key) else { return nil }
        switch WebAddress.baseURL(text) {
        case .success(let url): return url
        case .failure(let invalid):
            report(key, invalid.message)
            return nil
        }
    }

    /// An integer in `range`, e.g. `WORKERS: "abc" is not an integer (expected 1...256)`.
    mutating func integer(_ key: String, default defaultValue: Int, range: ClosedRange<Int>) -> Int {
        guard let value = raw(key) else { return defaultValue }
        let expected = range.upperBound == Int.max ? ">= \(range.lowerBound)" : "\(range.lowerBound)...\(range.upperBound)"
        guard let number = Int(value.trimmingWhitespace()) else {
            report(key, "\(shown(value)) is not an integer (expected \(expected))")
            return defaultValue
        }
        guard range.contains(number) else {
            report(key, "\(number) is out of range (expected \(expected))")
            return defaultValue
        }
        return number
    }

    /// pydantic's boolean spellings: true/false, 1/0, yes/no, on/off, t/f, y/n, any case.
    mutating func bool(_ key: String, default defaultValue: Bool) -> Bool {
        guard let value = raw(key) else { return defaultValue }
        switch value.trimmingWhitespace().lowercased() {
        case "true", "1", "yes", "on", "t", "y": return true
        case "false", "0", "no", "off", "f", "n": return false
        default:
            report(key, "\(shown(value)) is not a boolean (expected true/false, 1/0, yes/no or on/off)")
            return defaultValue
        }
    }

    /// One of an enum's raw values, any case.
    mutating func choice<T: RawRepresentable<String> & CaseIterable>(_ key: String, default defaultValue: T) -> T? {
        guard let value = raw(key) else { return defaultValue }
        guard let result = T(rawValue: value.trimmingWhitespace().lowercased()) else {
            let options = T.allCases.map(\.rawValue).joined(separator: ", ")
            report(key, "\(shown(value)) is not one of \(options)")
            return nil
        }
        return result
    }

    /// A number of seconds, decimals allowed (`0.5`); `> 0` unless `allowZero`.
    mutating func seconds(_ key: String, default defaultValue: Double, allowZero: Bool) -> Duration {
        let expected = allowZero ? "a number of seconds >= 0" : "a number of seconds > 0"
        guard let value = raw(key) else { return .seconds(defaultValue) }
        guard let number = plainDecimal(value) else {
            report(key, "\(shown(value)) is not a number (expected \(expected), decimals allowed)")
            return .seconds(defaultValue)
        }
        guard number > 0 || (allowZero && number == 0) else {
            report(key, "\(value.trimmingWhitespace()) is out of range (expected \(expected))")
            return .seconds(defaultValue)
        }
        return .seconds(number)
    }

    /// A decimal number within `range`.
    mutating func decimal(_ key: String, default defaultValue: Double, range: ClosedRange<Double>) -> Double {
        let expected = "a number in \(range.lowerBound)...\(range.upperBound)"
        guard let value = raw(key) else { return defaultValue }
        guard let number = plainDecimal(value) else {
            report(key, "\(shown(value)) is not a number (expected \(expected), decimals allowed)")
            return defaultValue
        }
        guard range.contains(number) else {
            report(key, "\(value.trimmingWhitespace()) is out of range (expected \(expected))")
            return defaultValue
        }
        return number
    }

    /// Only plain decimals: Double() alone would also take "nan", "inf", "1e3" and hex.
    private func plainDecimal(_ value: String) -> Double? {
        let text = value.trimmingWhitespace()
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.".contains($0)) }),
              let number = Double(text), number.isFinite else { return nil }
        return number
    }
}
