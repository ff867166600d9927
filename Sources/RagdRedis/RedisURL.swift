/// A parsed `redis://[[user]:password@]host[:port][/db]` URL.
struct RedisURL: Sendable {
    var host: String
    var port: Int
    var username: String?
    var password: String?
    var database: Int?

    /// Parses `url`. Messages never echo the URL, which may contain a password.
    init(_ url: String) throws(RedisError) {
        let rest: Substring
        if url.hasPrefix("redis://") {
            rest = url.dropFirst("redis://".count)
        } else if url.hasPrefix("rediss://") {
            throw RedisError(.unsupported, "rediss:// (TLS) is not supported yet; use redis:// on a trusted network or a TLS sidecar")
        } else if url.hasPrefix("unix://") {
            throw RedisError(.unsupported, "unix:// sockets are not supported yet; use redis://host:port")
        } else {
            throw RedisError(.invalidURL, "expected a redis:// URL")
        }
        if rest.contains("?") || rest.contains("#") {
            throw RedisError(.invalidURL, "query parameters are not supported; put the database in the path (redis://host:port/1)")
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]

        // The last '@' ends the user info, so a raw '@' in a password still works.
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            guard let colon = userInfo.firstIndex(of: ":") else {
                throw RedisError(.invalidURL, "user info without a password; use redis://:password@host or redis://user:password@host")
            }
            let user = try Self.percentDecoded(userInfo[..<colon], what: "user name")
            let password = try Self.percentDecoded(userInfo[userInfo.index(after: colon)...], what: "password")
            username = user.isEmpty ? nil : user
            self.password = password.isEmpty ? nil : password
            if username != nil && self.password == nil {
                throw RedisError(.invalidURL, "user name without a password")
            }
        } else {
            username = nil
            password = nil
        }

        // Host, with IPv6 literals in brackets: [::1]:6379.
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw RedisError(.invalidURL, "unterminated IPv6 address")
            }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw RedisError(.invalidURL, "unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            portText = authority[authority.index(after: colon)...]
        } else {
            host = String(authority)
        }
        guard !host.isEmpty else { throw RedisError(.invalidURL, "missing host") }
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw RedisError(.invalidURL, "port must be a number from 1 to 65535")
            }
            self.port = port
        } else {
            port = 6379
        }

        let databaseText = path.drop(while: { $0 == "/" })
        if databaseText.isEmpty {
            database = nil
        } else {
            guard let database = Int(databaseText), database >= 0 else {
                throw RedisError(.invalidURL, "the path must be a database number (redis://host:port/0)")
            }
            self.database = database
        }
    }

    /// Decodes %XX escapes; the error names the part, never its content.
    private static func percentDecoded(_ text: Substring, what: String) throws(RedisError) -> String {
        var bytes: [UInt8] = []
        var utf8 = text.utf8[...]
        while let byte = utf8.first {
            utf8 = utf8.dropFirst()
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard utf8.count >= 2,
                  let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) else {
                throw RedisError(.invalidURL, "bad percent-encoding in the \(what)")
            }
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
