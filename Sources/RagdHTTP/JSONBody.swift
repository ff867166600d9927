import Foundation
import RagdCore

/// A JSON request body, parsed and checked field by field. Every failure is a `Problem`:
/// 415 for a body that is not JSON, 400 for malformed JSON or invalid UTF-8 (saying
/// where), 422 for a field with the wrong type or value (naming the field).
public struct JSONBody {
    public let object: [String: Any]
    /// Prefixed to field names in problems: `ragd.` for a nested object read as a body.
    public let fieldPrefix: String

    /// A nested object (e.g. an extension object) checked with the same rules; problems
    /// name its fields as `fieldPrefix` + name.
    public init(object: [String: Any], fieldPrefix: String) {
        self.object = object
        self.fieldPrefix = fieldPrefix
    }

    /// Parses `request.body` as a JSON object. `Content-Type` must be application/json
    /// (or `+json`); a charset other than UTF-8 is refused.
    public init(_ request: Request) throws {
        let contentType = (request.headers["content-type"] ?? "").lowercased()
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard mediaType == "application/json" || mediaType.hasSuffix("+json") else {
            throw Problem(status: 415, code: "unsupported-media-type", title: "Unsupported Media Type",
                          detail: "Send the body as application/json.")
        }
        if let charset = contentType.range(of: "charset=") {
            let value = contentType[charset.upperBound...].prefix { $0 != ";" }.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            guard value == "utf-8" || value == "utf8" else {
                throw Problem(status: 415, code: "unsupported-charset", title: "Unsupported Media Type",
                              detail: "Only UTF-8 JSON is accepted, not \(value).")
            }
        }
        try self.init(bytes: request.body)
    }

    /// Parses raw bytes as a JSON object.
    public init(bytes: [UInt8]) throws {
        if let offset = Self.firstInvalidUTF8Offset(bytes) {
            throw Problem.badRequest("The body is not valid UTF-8 (first invalid byte at offset \(offset)).")
        }
        guard !bytes.isEmpty else { throw Problem.badRequest("The body is empty; a JSON object was expected.") }
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw Problem.badRequest("Malformed JSON: \(Self.describe(error, in: bytes)).")
        }
        guard let object = value as? [String: Any] else {
            throw Problem.badRequest("The body must be a JSON object.")
        }
        self.object = object
        fieldPrefix = ""
    }

    // MARK: fields

    /// Fields outside `allowed` are refused, so a misspelt field is not silently ignored.
    public func allowOnly(_ allowed: Set<String>) throws {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw invalid(unknown, "is not a known field (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// A string field. U+0000 is refused unless `allowNUL` (for document text, which the
    /// text normalizer strips it from).
    public func string(_ name: String, required: Bool = false, maxLength: Int? = nil, allowEmpty: Bool = true,
                       allowNUL: Bool = false) throws -> String? {
        guard let raw = try present(name, required: required) else { return nil }
        guard let value = raw as? String else { throw invalid(name, "must be a string") }
        if !allowEmpty && value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw invalid(name, "must not be empty")
        }
        if let maxLength, value.count > maxLength { throw invalid(name, "must be at most \(maxLength) characters") }
        // PostgreSQL text cannot hold U+0000; refused here rather than failing in the store.
        if !allowNUL && value.utf8.contains(0) { throw invalid(name, Self.nulMessage) }
        return value
    }

    public func int(_ name: String, required: Bool = false, range: ClosedRange<Int>? = nil) throws -> Int? {
        guard let raw = try present(name, required: required) else { return nil }
        guard let number = raw as? NSNumber, !Self.isBoolean(number),
              let value = Int(exactly: number.doubleValue) else {
            throw invalid(name, "must be an integer")
        }
        if let range, !range.contains(value) {
            throw invalid(name, "must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
        }
        return value
    }

    public func double(_ name: String, required: Bool = false, range: ClosedRange<Double>? = nil) throws -> Double? {
        guard let raw = try present(name, required: required) else { return nil }
        guard let number = raw as? NSNumber, !Self.isBoolean(number) else {
            throw invalid(name, "must be a number")
        }
        let value = number.doubleValue
        if let range, !range.contains(value) {
            throw invalid(name, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    public func bool(_ name: String, required: Bool = false) throws -> Bool? {
        guard let raw = try present(name, required: required) else { return nil }
        guard let number = raw as? NSNumber, Self.isBoolean(number) else {
            throw invalid(name, "must be true or false")
        }
        return number.boolValue
    }

    /// A nested object.
    public func object(_ name: String, required: Bool = false) throws -> [String: Any]? {
        guard let raw = try present(name, required: required) else { return nil }
        guard let value = raw as? [String: Any] else { throw invalid(name, "must be an object") }
        return value
    }

    public func array(_ name: String, required: Bool = false) throws -> [Any]? {
        guard let raw = try present(name, required: required) else { return nil }
        guard let value = raw as? [Any] else { throw invalid(name, "must be an array") }
        return value
    }

    /// `value` serialized back to compact JSON text (for storing metadata as jsonb).
    public static func text(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// JSON `true`/`false` arrive as NSNumbers too; their type code is `c` (char).
    private static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    private func present(_ name: String, required: Bool) throws -> Any? {
        guard let value = object[name], !(value is NSNull) else {
            if required { throw invalid(name, "is required") }
            return nil
        }
        return value
    }

    /// A 422 naming `fieldPrefix` + `field`.
    public func invalid(_ field: String, _ message: String) -> Problem {
        Self.invalid(fieldPrefix + field, message)
    }

    /// Why a text with U+0000 is refused.
    public static let nulMessage = "must not contain the NUL character (U+0000)"

    /// A 422 naming the field, with the errors list as RFC 9457 suggests for validation.
    public static func invalid(_ field: String, _ message: String) -> Problem {
        Problem(status: 422, code: "validation-error", title: "Unprocessable Content", detail: "\(field): \(message)",
                errors: [(field: field, message: message)])
    }

    // MARK: diagnostics

    /// Foundation reports "around character N"; turn that into line and column.
    static func describe(_ error: Error, in bytes: [UInt8]) -> String {
        let message = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "not a JSON document"
        guard let range = message.range(of: "character "),
              let offset = Int(message[range.upperBound...].prefix { $0.isNumber }) else {
            return message.hasSuffix(".") ? String(message.dropLast()) : message
        }
        var line = 1, column = 1
        for byte in bytes.prefix(offset) {
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        let what = message.components(separatedBy: " around").first ?? message
        return "\(what) at line \(line), column \(column)"
    }

    /// Offset of the first byte that is not part of valid UTF-8, or nil.
    static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
