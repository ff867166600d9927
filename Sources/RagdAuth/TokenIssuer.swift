import RagdCore

/// Mints HS256 access tokens that `Authenticator` accepts: header
/// `{"alg":"HS256","typ":"JWT"}`, claims `sub`, `tenant`, `scope`, `iat`, `exp`, `jti`.
public struct TokenIssuer: Sendable {
    /// Lifetimes allowed: 1 second to 366 days.
    public static let ttlRange: ClosedRange<Int> = 1...(366 * 86_400)
    /// Subject used when none is given: `ragd-cli`.
    public static let defaultSubject = "ragd-cli"

    // Raw bytes rather than a `SymmetricKey`: swift-crypto's key type is not `Sendable`, and
    // building one per call costs a 32-byte copy, nothing next to the HMAC itself.
    private let keyBytes: [UInt8]

    /// An issuer signing with `secret` (its UTF-8 bytes). `secret` must not be empty.
    public init(secret: String) {
        precondition(!secret.isEmpty, "an empty signing secret would make forgeable tokens")
        keyBytes = Array(secret.utf8)
    }

    /// A signed token. `ttl` is in seconds; `now` (seconds since the epoch, default the wall
    /// clock) is truncated to whole seconds for `iat`. `tokenID` defaults to 128 random bits.
    /// Scopes keep their order, without duplicates; each must be in `AuthScope.known`.
    public func mint(subject: String = TokenIssuer.defaultSubject, tenant: String, scopes: [String], ttl: Int,
                     now: Double = Clock.wallSeconds(), tokenID: String? = nil) throws(TokenIssuerError) -> String {
        guard ClaimRules.isValidSubject(subject) else {
            throw TokenIssuerError(.invalidSubject, "subject must be 1-256 bytes without control characters")
        }
        guard ClaimRules.isValidTenant(tenant) else {
            throw TokenIssuerError(.invalidTenant, "tenant must be 1-64 characters of A-Z a-z 0-9 . _ -")
        }
        var ordered = [String]()
        for scope in scopes where !ordered.contains(scope) {
            guard AuthScope.known.contains(scope) else {
                throw TokenIssuerError(.unknownScope,
                                       "unknown scope \(JSONText.quoted(scope)); known: \(AuthScope.known.sorted().joined(separator: " "))")
            }
            ordered.append(scope)
        }
        guard !ordered.isEmpty else {
            throw TokenIssuerError(.unknownScope, "at least one scope is needed; known: \(AuthScope.known.sorted().joined(separator: " "))")
        }
        guard Self.ttlRange.contains(ttl) else {
            throw TokenIssuerError(.invalidTTL, "ttl must be between 1 and \(Self.ttlRange.upperBound) seconds (366 days)")
        }
        precondition(now.isFinite && now >= 0 && now < 1e12, "now must be seconds since the epoch")
        let issuedAt = Int(now.rounded(.down))
        let header = JSONText.object([("alg", JSONText.quoted("HS256")), ("typ", JSONText.quoted("JWT"))])
        let payload = JSONText.object([
            ("sub", JSONText.quoted(subject)),
            ("tenant", JSONText.quoted(tenant)),
            ("scope", JSONText.quoted(ordered.joined(separator: " "))),
            ("iat", String(issuedAt)),
            ("exp", String(issuedAt + ttl)),
            ("jti", JSONText.quoted(tokenID ?? Self.randomTokenID())),
        ])
        return CompactJWS.signHS256(header: header, payload: payload, key: keyBytes)
    }

    /// 128 bits from the system's CSPRNG (getrandom on Linux), base64url.
    private static func randomTokenID() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
