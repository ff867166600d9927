import CLibpq

/// A parsed `postgres://` URL as libpq keyword/value pairs, plus every form of the
/// password it contains so that error messages can be scrubbed.
struct PostgresURL: Sendable {
    /// Keyword/value pairs that libpq understood, NULL values left out.
    var parameters: [(keyword: String, value: String)]
    /// Removes the password from any text before it leaves this module.
    var redactor: SecretRedactor

    /// Parses `url` with `PQconninfoParse`, which is exactly what libpq will accept later.
    init(_ url: String) throws(PostgresError) {
        let redactor = SecretRedactor(secrets: PostgresURL.rawSecrets(in: url))
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            // Do not echo the value: it may be a keyword/value string with a password.
            throw PostgresError(.invalidURL, "expected a postgres:// or postgresql:// URL")
        }
        var errmsg: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &errmsg) else {
            var detail = "cannot parse the URL"
            if let errmsg {
                detail = redactor.redact(String(cString: errmsg).trimmingTrailingNewlines())
                PQfreemem(errmsg)
            }
            throw PostgresError(.invalidURL, detail)
        }
        defer { PQconninfoFree(options) }
        var parameters: [(keyword: String, value: String)] = []
        var secrets = redactor.secrets
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                let key = String(cString: keyword)
                let text = String(cString: value)
                parameters.append((key, text))
                // libpq has percent-decoded it; the decoded form may appear in messages too.
                if key == "password" { secrets.append(text) }
            }
            option += 1
        }
        self.parameters = parameters
        self.redactor = SecretRedactor(secrets: secrets)
    }

    /// The raw (still percent-encoded) password of `scheme://user:password@host`, and any
    /// `password=` query value, found by plain string scanning so that this works even
    /// when libpq cannot parse the URL.
    private static func rawSecrets(in url: String) -> [String] {
        var secrets: [String] = []
        if let schemeEnd = url.firstRange(of: "://") {
            let rest = url[schemeEnd.upperBound...]
            // libpq ends the authority at the first '/' or '?'; the last '@' before it
            // closes the user info, so '@' inside a password is still covered.
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                if let colon = userInfo.firstIndex(of: ":") {
                    secrets.append(String(userInfo[userInfo.index(after: colon)...]))
                }
            }
        }
        if let query = url.firstIndex(of: "?") {
            for pair in url[url.index(after: query)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == "password" { secrets.append(String(parts[1])) }
            }
        }
        return secrets
    }
}

/// Replaces every occurrence of a secret with `***`.
struct SecretRedactor: Sendable {
    let secrets: [String]

    init(secrets: [String]) {
        // Longest first so that a secret containing another is removed whole.
        self.secrets = Array(Set(secrets.filter { !$0.isEmpty })).sorted { $0.count > $1.count }
    }

    func redact(_ text: String) -> String {
        var result = text
        for secret in secrets {
            result = result.replacing(secret, with: "***")
        }
        return result
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        // Scalars, not Characters: "\r\n" is a single Character.
        var scalars = unicodeScalars[...]
        while let last = scalars.last, last == "\n" || last == "\r" || last == " " { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
