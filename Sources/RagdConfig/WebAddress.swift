#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Checks for the http(s) addresses in the settings: CORS origins and the LLM base URL.
enum WebAddress {
    /// Splits `ALLOWED_ORIGINS`: a JSON list of strings (what pydantic parses for a list
    /// field) when it starts with `[`, else a comma-separated list. Empty items are skipped.
    static func originList(_ text: String) -> Result<[String], Invalid> {
        let trimmed = text.trimmingWhitespace()
        if trimmed.hasPrefix("[") {
            guard let list = try? JSONDecoder().decode([String].self, from: Data(trimmed.utf8)) else {
                return .failure("is not a valid JSON list of strings (expected e.g. [\"https://a.com\",\"https://b.com\"] or https://a.com,https://b.com)")
            }
            return .success(list.map { $0.trimmingWhitespace() }.filter { !$0.isEmpty })
        }
        return .success(trimmed.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty })
    }

    /// Normalizes one origin to `scheme://host[:port]` as a browser sends it in `Origin`:
    /// lower case, default port dropped, one trailing `/` tolerated and dropped.
    static func origin(_ text: String) -> Result<String, Invalid> {
        let expected = "expected scheme://host[:port] with scheme http or https"
        guard let separator = text.firstRange(of: "://") else {
            return .failure("\(shown(text)) is not an origin (\(expected))")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            return .failure("\(shown(text)) is not an origin: scheme must be http or https")
        }
        var rest = text[separator.upperBound...]
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if rest.contains(where: { "/?#".contains($0) }) {
            return .failure("\(shown(text)) is not an origin: it must not have a path, query or fragment (\(expected))")
        }
        if rest.contains("@") {
            return .failure("\(shown(text)) is not an origin: it must not contain user info (\(expected))")
        }
        switch hostAndPort(rest) {
        case .failure(let reason):
            return .failure("\(shown(text)) is not an origin: \(reason.message)")
        case .success(let (host, port)):
            let defaultPort = scheme == "https" ? 443 : 80
            let portSuffix = port.map { $0 == defaultPort ? "" : ":\($0)" } ?? ""
            return .success("\(scheme)://\(host)\(portSuffix)")
        }
    }

    /// Checks `LLM_BASE_URL`: http(s), a host, no credentials (they belong in `LLM_API_KEY`);
    /// returns it without trailing `/` so that paths can be appended.
    static func baseURL(_ text: String) -> Result<String, Invalid> {
        let expected = "expected an http:// or https:// URL such as https://api.deepseek.com/v1"
        let trimmed = text.trimmingWhitespace()
        guard let separator = trimmed.firstRange(of: "://"),
              ["http", "https"].contains(trimmed[..<separator.lowerBound].lowercased()) else {
            return .failure("\(shown(redacted(url: trimmed))) is not an http(s) URL (\(expected))")
        }
        let rest = trimmed[separator.upperBound...]
        let authority = rest.prefix { !"/?#".contains($0) }
        if authority.contains("@") {
            return .failure("must not contain credentials; put the key in LLM_API_KEY")
        }
        if case .failure(let reason) = hostAndPort(authority) {
            return .failure("\(shown(trimmed)) is not a valid URL: \(reason.message)")
        }
        if trimmed.contains(where: { $0.isWhitespace }) {
            return .failure("\(shown(trimmed)) must not contain whitespace")
        }
        var result = trimmed
        while result.hasSuffix("/") { result.removeLast() }
        return .success(result)
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port`; the host lower-cased.
    private static func hostAndPort(_ text: Substring) -> Result<(String, Int?), Invalid> {
        var host = text
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure("unterminated [IPv6] host") }
            host = text[...close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return .failure("unexpected text after the [IPv6] host") }
                portText = after.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        let bare = host.hasPrefix("[") ? host.dropFirst().dropLast() : host
        guard !bare.isEmpty else { return .failure("the host is missing") }
        let allowed: (Character) -> Bool = host.hasPrefix("[")
            ? { $0.isHexDigit || $0 == ":" || $0 == "." }
            : { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
        guard bare.allSatisfy(allowed) else { return .failure("the host has invalid characters") }
        var port: Int?
        if let portText {
            guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(portText), (1...65535).contains(value) else {
                return .failure("the port is not an integer in 1...65535")
            }
            port = value
        }
        return .success((host.lowercased(), port))
    }
}
