/// The HTTP answer to an `AuthError`, without depending on the HTTP module: the status, the
/// `WWW-Authenticate` value (RFC 6750 section 3) and the problem+json fields.
///
/// * header missing, or another scheme: 401, `Bearer realm="ragd"` (no error attribute:
///   RFC 6750 says a client that sent no credentials gets no error code);
/// * any bad token: 401, `Bearer realm="ragd", error="invalid_token", error_description="..."`;
/// * valid token without the needed scope: 403,
///   `Bearer realm="ragd", error="insufficient_scope", scope="documents:write"`.
public struct AuthChallenge: Sendable, Equatable {
    /// 401 or 403.
    public let status: Int
    /// The problem type's last part, e.g. `invalid-token` (for `urn:ragd:problem:invalid-token`).
    public let problemCode: String
    /// A short summary that does not change between occurrences, e.g. `Invalid Token`.
    public let title: String
    /// The error's client-safe message.
    public let detail: String
    /// The value for the `WWW-Authenticate` response header.
    public let wwwAuthenticate: String

    /// The answer to `error`; `realm` defaults to `ragd`.
    public init(_ error: AuthError, realm: String = "ragd") {
        let realmParam = "realm=\(Self.quoted(realm))"
        detail = error.message
        switch error.code {
        case .missing:
            status = 401
            problemCode = "authentication-required"
            title = "Authentication Required"
            wwwAuthenticate = "Bearer \(realmParam)"
        case .insufficientScope:
            status = 403
            problemCode = "insufficient-scope"
            title = "Insufficient Scope"
            var value = "Bearer \(realmParam), error=\"insufficient_scope\""
            if let scope = error.requiredScope { value += ", scope=\(Self.quoted(scope))" }
            wwwAuthenticate = value
        default:
            status = 401
            problemCode = "invalid-token"
            title = "Invalid Token"
            wwwAuthenticate = "Bearer \(realmParam), error=\"invalid_token\", error_description=\(Self.quoted(error.message))"
        }
    }

    /// A quoted-string restricted to what RFC 6750 allows in its attributes
    /// (%x20-21 / %x23-5B / %x5D-7E): anything else becomes a space, so no value can end the
    /// quoted string early or split the header.
    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            let v = scalar.value
            let allowed = v == 0x20 || v == 0x21 || (0x23...0x5B).contains(v) || (0x5D...0x7E).contains(v)
            out.unicodeScalars.append(allowed ? scalar : " ")
        }
        return out + "\""
    }
}

extension AuthError {
    /// The HTTP answer for this error (realm `ragd`).
    public var challenge: AuthChallenge { AuthChallenge(self) }
}
