/// A parsed media type header value such as `text/html; charset=UTF-8` (RFC 9110 §8.3.1),
/// also used for `Content-Disposition`-style values (`form-data; name="file"`).
public struct MediaType: Sendable, Equatable, CustomStringConvertible {
    /// The type, lower case, e.g. `text`. For a disposition value, the whole token
    /// (`form-data`) with an empty `subtype`.
    public var type: String
    /// The subtype, lower case, e.g. `html`.
    public var subtype: String
    /// Parameters with lower-case names; quoted values unquoted. The first of repeated
    /// names wins.
    public var parameters: [String: String]

    /// `type/subtype`, lower case, without parameters.
    public var essence: String { subtype.isEmpty ? type : "\(type)/\(subtype)" }

    /// The `charset` parameter, lower case, if present.
    public var charset: String? { parameters["charset"]?.lowercased() }

    /// `essence` only: parameter values may be long or odd, so descriptions leave them out.
    public var description: String { essence }

    /// Creates a media type from its parts.
    public init(type: String, subtype: String, parameters: [String: String] = [:]) {
        self.type = type.lowercased()
        self.subtype = subtype.lowercased()
        self.parameters = parameters
    }

    /// Parses a `Content-Type` value; nil when it is not `token/token` followed by
    /// well-formed parameters.
    public init?(parsing header: String) {
        guard let parsed = Self.parse(header, requireSubtype: true) else { return nil }
        self = parsed
    }

    /// Parses `token; name=value; ...` (a `Content-Disposition` value); the token becomes
    /// `type`. Nil when malformed.
    static func parseDisposition(_ header: String) -> MediaType? {
        parse(header, requireSubtype: false)
    }

    private static func parse(_ header: String, requireSubtype: Bool) -> MediaType? {
        var scanner = HeaderScanner(header)
        scanner.skipSpace()
        let type = scanner.token()
        guard !type.isEmpty else { return nil }
        var subtype = ""
        if requireSubtype {
            guard scanner.consume(UInt8(ascii: "/")) else { return nil }
            subtype = scanner.token()
            guard !subtype.isEmpty else { return nil }
        }
        var parameters: [String: String] = [:]
        scanner.skipSpace()
        while !scanner.atEnd {
            guard scanner.consume(UInt8(ascii: ";")) else { return nil }
            scanner.skipSpace()
            if scanner.atEnd { break } // a trailing ";" is common and harmless
            let name = scanner.token().lowercased()
            guard !name.isEmpty, scanner.consume(UInt8(ascii: "=")) else { return nil }
            let value: String
            if scanner.peek == UInt8(ascii: "\"") {
                guard let quoted = scanner.quotedString() else { return nil }
                value = quoted
            } else {
                value = scanner.token()
            }
            if parameters[name] == nil { parameters[name] = value }
            scanner.skipSpace()
        }
        return MediaType(type: type, subtype: subtype, parameters: parameters)
    }
}

/// A cursor over a header value's bytes.
struct HeaderScanner {
    private let bytes: [UInt8]
    private var index = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8? { atEnd ? nil : bytes[index] }

    mutating func skipSpace() {
        while index < bytes.count && (bytes[index] == 32 || bytes[index] == 9) { index += 1 }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        skipSpace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        skipSpace()
        return true
    }

    /// An RFC 9110 token (letters, digits and ``!#$%&'*+-.^_`|~``).
    mutating func token() -> String {
        let start = index
        while index < bytes.count && Self.isTokenByte(bytes[index]) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// A quoted string starting at the current `"`. A backslash escapes only `"` and `\`:
    /// browsers send Windows paths in `filename="C:\dir\a.txt"` unescaped (WHATWG
    /// encodes quotes as %22 instead), so other backslashes stay literal.
    mutating func quotedString() -> String? {
        guard peek == UInt8(ascii: "\"") else { return nil }
        index += 1
        var value: [UInt8] = []
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: value, as: UTF8.self)
            }
            if b == UInt8(ascii: "\\"), index + 1 < bytes.count,
               bytes[index + 1] == UInt8(ascii: "\"") || bytes[index + 1] == UInt8(ascii: "\\") {
                value.append(bytes[index + 1])
                index += 2
                continue
            }
            value.append(b)
            index += 1
        }
        return nil
    }

    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }
}
