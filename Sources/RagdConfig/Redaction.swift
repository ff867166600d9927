/// Returns `url` with its password, and the values of query parameters that usually hold
/// secrets (`password`, `token`, `api_key`, ...), replaced by `********`; safe for logs.
///
/// `postgresql://app:s3cret@db:5432/rag?sslmode=require` becomes
/// `postgresql://app:********@db:5432/rag?sslmode=require`. Text without `://` is returned
/// unchanged except for the query masking. When in doubt it masks more: the user info ends at
/// the *last* `@` before the query, so a password containing `@` or `/` is still hidden.
public func redacted(url: String) -> String {
    let parts = URLParts(url)
    return parts.redacted
}

/// The pieces of a URL as ragd needs them for masking and for connection URLs. Tolerant:
/// it never fails, it only splits.
struct URLParts {
    /// Text before `://` (nil when there is none).
    var scheme: Substring?
    /// Everything between `://` and the last `@` before the query; nil when there is no `@`.
    var userInfo: Substring?
    /// Host list and port(s), up to the first `/` after the user info.
    var authority: Substring
    /// From the first `/` after the authority up to the query, or empty.
    var path: Substring
    /// After `?` or `#` (fragment included), or nil.
    var query: Substring?
    /// The `?` or `#` that started `query`.
    var querySeparator: Character = "?"

    /// Query parameter names whose values are masked.
    static let secretParameters: Set<String> = [
        "password", "pass", "passwd", "pwd", "sslpassword", "secret", "token", "access_token",
        "api_key", "apikey", "auth", "authorization", "key",
    ]

    init(_ url: String) {
        var rest = Substring(url)
        if let range = url.firstRange(of: "://") {
            scheme = url[..<range.lowerBound]
            rest = url[range.upperBound...]
        }
        if let q = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            query = rest[rest.index(after: q)...]
            querySeparator = rest[q]
            rest = rest[..<q]
        }
        if scheme != nil, let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        if scheme != nil, let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[slash...]
        } else {
            authority = rest
            path = ""
        }
    }

    /// The user name part of the user info (before the first `:`), still percent-encoded.
    var user: Substring? {
        guard let userInfo else { return nil }
        return userInfo.firstIndex(of: ":").map { userInfo[..<$0] } ?? userInfo
    }

    /// The password part of the user info (after the first `:`), still percent-encoded.
    var password: Substring? {
        guard let userInfo, let colon = userInfo.firstIndex(of: ":") else { return nil }
        return userInfo[userInfo.index(after: colon)...]
    }

    /// `name=value` pairs of the query, still percent-encoded.
    var queryItems: [(name: Substring, value: Substring?)] {
        guard let query else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: false).map { item in
            if let eq = item.firstIndex(of: "=") {
                return (item[..<eq], item[item.index(after: eq)...])
            }
            return (item, nil)
        }
    }

    var redacted: String {
        var out = ""
        if let scheme { out += scheme + "://" }
        if let user {
            out += user
            if password != nil { out += ":" + Secret.mask }
            out += "@"
        }
        out += authority + path
        if query != nil {
            let items = queryItems.map { item -> String in
                guard let value = item.value else { return String(item.name) }
                let name = percentDecoded(item.name)?.lowercased() ?? item.name.lowercased()
                let shown = Self.secretParameters.contains(name) ? Secret.mask : String(value)
                return item.name + "=" + shown
            }
            out += String(querySeparator) + items.joined(separator: "&")
        }
        return out
    }
}

/// Decodes `%XX` escapes; nil for a malformed escape or bytes that are not UTF-8.
func percentDecoded(_ text: Substring) -> String? {
    guard text.contains("%") else { return String(text) }
    var bytes: [UInt8] = []
    var utf8 = Array(text.utf8)[...]
    while let byte = utf8.popFirst() {
        if byte == UInt8(ascii: "%") {
            let hex = String(decoding: utf8.prefix(2), as: UTF8.self)
            guard hex.utf8.count == 2, hex.allSatisfy(\.isHexDigit),
                  let value = UInt8(hex, radix: 16) else { return nil }
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        } else {
            bytes.append(byte)
        }
    }
    return String(validating: bytes, as: UTF8.self)
}
