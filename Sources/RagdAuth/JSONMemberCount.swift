/// Duplicate member names in a token's JSON. RFC 7519 section 4 (and RFC 7515 for the
/// header) requires a parser to reject them or keep the last one; Foundation's `JSONDecoder`
/// keeps the *first*, so PyJWT and ragd would read different claims from one token. ragd
/// rejects them: it counts the object's members in the text and compares with the distinct
/// keys the decoder saw.
enum JSONMemberCount {
    /// Any member name, to list every key the decoder saw.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Distinct member names of the object being decoded.
    static func distinctKeys(in decoder: Decoder) throws -> Int {
        try decoder.container(keyedBy: AnyKey.self).allKeys.count
    }

    /// Members of the top-level object in `json`, which must already have parsed as valid
    /// JSON: the `:` separators at nesting depth 1, outside strings.
    static func topLevelMembers(_ json: [UInt8]) -> Int {
        var depth = 0
        var inString = false
        var escaped = false
        var members = 0
        for byte in json {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: ":") where depth == 1: members += 1
            default: break
            }
        }
        return members
    }
}
