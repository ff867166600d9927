/// A validated connection URL (`DATABASE_URL`, `REDIS_URL`) whose password never shows:
/// `description`, `debugDescription`, interpolation and `dump` give the masked form.
/// Hand `reveal()` to libpq (`PQconnectdb` takes the URI as is) or use the parsed parts.
public struct ConnectionURL: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// One `host[:port]` of the authority (PostgreSQL allows a comma-separated list).
    public struct Endpoint: Sendable, Equatable {
        /// Percent-decoded host without IPv6 brackets; empty means the client's default
        /// (for libpq: the local unix socket).
        public var host: String
        /// The port, or nil for the client's default (5432, 6379).
        public var port: Int?
    }

    /// Lower-cased scheme, e.g. `postgresql`, `rediss`.
    public let scheme: String
    /// Percent-decoded user name, or nil.
    public let user: String?
    /// Percent-decoded password, or nil when the URL has none.
    public let password: Secret?
    /// Hosts in the order given; at least one entry (possibly with an empty host).
    public let endpoints: [Endpoint]
    /// Percent-decoded path without its leading `/` (database name, Redis database number);
    /// nil when the URL has no path.
    public let database: String?
    /// The URL with its password and secret query values masked.
    public let redacted: String
    private let original: String

    /// The full URL including the password. Never log or print it.
    public func reveal() -> String { original }

    /// The first endpoint's host.
    public var host: String { endpoints[0].host }
    /// The first endpoint's port.
    public var port: Int? { endpoints[0].port }

    public var description: String { redacted }
    public var debugDescription: String { "ConnectionURL(\(redacted))" }
    public var customMirror: Mirror { Mirror(self, children: ["redacted": redacted], displayStyle: .struct) }

    /// Parses and checks a PostgreSQL URL as `DATABASE_URL` is checked.
    /// - Throws: `ConfigurationError` with one `DATABASE_URL` problem (no secret in it).
    public static func postgres(_ text: String) throws(ConfigurationError) -> ConnectionURL {
        try parseOrThrow(text, .postgres)
    }

    /// Parses and checks a Redis URL as `REDIS_URL` is checked.
    /// - Throws: `ConfigurationError` with one `REDIS_URL` problem (no secret in it).
    public static func redis(_ text: String) throws(ConfigurationError) -> ConnectionURL {
        try parseOrThrow(text, .redis)
    }

    private static func parseOrThrow(_ text: String, _ kind: Kind) throws(ConfigurationError) -> ConnectionURL {
        switch parse(text, kind) {
        case .success(let url): return url
        case .failure(let invalid):
            throw ConfigurationError(problems: [.init(key: kind.variable, message: invalid.message, code: .invalid)])
        }
    }

    /// The two kinds of connection URL in the settings.
    enum Kind {
        case postgres, redis

        var variable: String { self == .postgres ? "DATABASE_URL" : "REDIS_URL" }
        var example: String {
            self == .postgres ? "postgresql://USER:PASSWORD@HOST:5432/DATABASE" : "redis://[:PASSWORD@]HOST:6379/0"
        }
    }

    /// Schemes that may be named in a problem message.
    private static let knownSchemes: Set<String> = [
        "postgres", "postgresql", "redis", "rediss", "unix", "http", "https", "mysql", "mariadb",
        "sqlite", "mongodb", "mongodb+srv", "amqp", "tcp", "valkey", "file",
    ]

    /// A placeholder while settings are being read; never handed out by a successful load.
    static let unset = ConnectionURL(
        scheme: "", user: nil, password: nil, endpoints: [Endpoint(host: "", port: nil)],
        database: nil, redacted: "", original: "")

    static func parse(_ text: String, _ kind: Kind) -> Result<ConnectionURL, Invalid> {
        let result = parse(
            text, schemes: kind == .postgres ? ["postgresql", "postgres"] : ["redis", "rediss"],
            multipleHosts: kind == .postgres)
        if kind == .redis, case .success(let url) = result, let database = url.database, !database.isEmpty,
           !database.allSatisfy({ $0.isASCII && $0.isNumber }) {
            return .failure("the path must be a database number such as /0")
        }
        return result
    }

    /// Parses and checks a URL; the failure message never contains the URL or its parts
    /// except the scheme, since any part could be a misplaced password.
    /// - Parameters:
    ///   - schemes: accepted schemes, lower case.
    ///   - multipleHosts: allow `h1:p1,h2:p2` (libpq does) and an empty host.
    private static func parse(_ text: String, schemes: [String], multipleHosts: Bool) -> Result<ConnectionURL, Invalid> {
        let parts = URLParts(text)
        let schemeList = schemes.map { $0 + "://" }.joined(separator: " or ")
        guard let rawScheme = parts.scheme else {
            return .failure("is not a URL (expected \(schemeList)...)")
        }
        let scheme = rawScheme.lowercased()
        guard schemes.contains(scheme) else {
            // Only well-known schemes are echoed: whatever precedes "://" could be a
            // password pasted in the wrong place.
            let shown = knownSchemes.contains(scheme) ? quoted(scheme) : "another scheme"
            return .failure("scheme must be \(schemeList) (got \(shown))")
        }
        guard !text.contains(where: { $0.isWhitespace }) else {
            return .failure("must not contain whitespace (percent-encode it, e.g. %20)")
        }
        var user: String?
        var password: Secret?
        if let rawUser = parts.user {
            guard let decoded = percentDecoded(rawUser) else {
                return .failure("user name has invalid percent-encoding")
            }
            user = decoded.isEmpty ? nil : decoded
        }
        if let rawPassword = parts.password {
            guard let decoded = percentDecoded(rawPassword) else {
                return .failure("password has invalid percent-encoding")
            }
            password = Secret(decoded)
        }
        var endpoints: [Endpoint] = []
        let hostList = multipleHosts
            ? parts.authority.split(separator: ",", omittingEmptySubsequences: false)
            : [parts.authority]
        for item in hostList {
            switch parseEndpoint(item) {
            case .success(let endpoint): endpoints.append(endpoint)
            case .failure(let invalid): return .failure(invalid)
            }
        }
        if !multipleHosts, endpoints[0].host.isEmpty {
            return .failure("has no host (expected \(schemes[0])://[USER:PASSWORD@]HOST[:PORT][/DB])")
        }
        var database: String?
        if !parts.path.isEmpty {
            guard let decoded = percentDecoded(parts.path.dropFirst()) else {
                return .failure("path has invalid percent-encoding")
            }
            database = decoded
        }
        return .success(ConnectionURL(
            scheme: scheme, user: user, password: password, endpoints: endpoints,
            database: database, redacted: parts.redacted, original: text))
    }

    private static func parseEndpoint(_ text: Substring) -> Result<Endpoint, Invalid> {
        var hostPart = text
        var portPart: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                return .failure("has an unterminated [IPv6] host")
            }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return .failure("has text after an [IPv6] host") }
                portPart = after.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        var port: Int?
        if let portPart, !portPart.isEmpty {
            guard portPart.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(portPart), (1...65535).contains(value) else {
                return .failure("port is not an integer in 1...65535")
            }
            port = value
        }
        guard let host = percentDecoded(hostPart) else {
            return .failure("host has invalid percent-encoding")
        }
        return .success(Endpoint(host: host, port: port))
    }
}
