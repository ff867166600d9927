import Crypto
import RagdCore

/// Verifies `Authorization: Bearer <JWT>` headers: compact JWS, HS256 with `SECRET_KEY`.
///
/// Cheap to share: immutable and `Sendable`, so one instance per worker serves all threads.
/// Checks, in order: size, three canonical base64url parts, header (`alg` must be HS256, no
/// `crit`), signature (constant-time, by swift-crypto), payload JSON, claims, then time.
/// The signature is checked before the payload is parsed, so unauthenticated input never
/// reaches the JSON decoder beyond the small header.
public struct Authenticator: Sendable {
    /// Longest token accepted: 8 KiB. Ours are a few hundred bytes.
    public static let maxTokenBytes = 8192
    /// Default clock-skew allowance for `exp`, `nbf` and `iat`: 30 seconds.
    public static let defaultLeeway: Double = 30

    // Raw bytes rather than a `SymmetricKey`: swift-crypto's key type is not `Sendable`, and
    // building one per call costs a 32-byte copy, nothing next to the HMAC itself.
    private let keyBytes: [UInt8]
    /// Seconds of clock skew allowed when checking `exp`, `nbf` and `iat`; default 30.
    public let leeway: Double

    /// An authenticator for tokens signed with `secret` (its UTF-8 bytes are the HMAC key, as
    /// PyJWT and jose libraries use a string key). `secret` must not be empty.
    public init(secret: String, leeway: Double = Authenticator.defaultLeeway) {
        precondition(!secret.isEmpty, "an empty signing secret would accept forged tokens")
        precondition(leeway >= 0 && leeway.isFinite, "leeway must be a finite, non-negative number of seconds")
        keyBytes = Array(secret.utf8)
        self.leeway = leeway
    }

    /// The principal for an `Authorization` header value (nil when the request had none).
    /// `now` is seconds since the Unix epoch; defaults to the wall clock.
    public func authenticate(authorizationHeader: String?, now: Double = Clock.wallSeconds()) throws(AuthError) -> Principal {
        try verify(token: Self.bearerToken(from: authorizationHeader), now: now)
    }

    /// The token from an `Authorization` header value. RFC 7235: the scheme is
    /// case-insensitive; RFC 6750: one token68 after it. Another scheme counts as no
    /// credentials (`missing`, answered without an error attribute).
    static func bearerToken(from header: String?) throws(AuthError) -> Substring {
        guard let header else { throw AuthError.missing("This endpoint needs a Bearer token.") }
        let trimmed = header.drop { $0 == " " || $0 == "\t" }
        if trimmed.isEmpty { throw AuthError.missing("This endpoint needs a Bearer token.") }
        let scheme = trimmed.prefix { $0 != " " && $0 != "\t" }
        guard scheme.lowercased() == "bearer" else {
            throw AuthError.missing("This endpoint needs a Bearer token; other authorization schemes are not accepted.")
        }
        var token = trimmed.dropFirst(scheme.count).drop { $0 == " " || $0 == "\t" }
        while let last = token.last, last == " " || last == "\t" { token = token.dropLast() }
        if token.isEmpty { throw AuthError.malformed("The Bearer token is empty.") }
        return token
    }

    /// The principal for a bare token (the part after `Bearer `).
    public func verify(token: Substring, now: Double = Clock.wallSeconds()) throws(AuthError) -> Principal {
        let bytes = token.utf8
        guard bytes.count <= Self.maxTokenBytes else {
            throw AuthError.malformed("The token is longer than \(Self.maxTokenBytes) bytes.")
        }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw AuthError.malformed("The token is not a JWT (three base64url parts separated by dots).")
        }
        guard let headerJSON = Base64URL.decode(parts[0]), let payloadJSON = Base64URL.decode(parts[1]),
              let signature = Base64URL.decode(parts[2]) else {
            throw AuthError.malformed("The token is not a JWT (three base64url parts separated by dots).")
        }
        _ = try TokenHeader.parse(headerJSON)

        // The MAC covers the ASCII text `header.payload` exactly as sent (RFC 7515 5.2).
        let signingInput = bytes[parts[0].startIndex..<parts[1].endIndex]
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Array(signingInput), using: SymmetricKey(data: keyBytes)) else {
            throw AuthError(.badSignature, "The token signature is not valid.")
        }

        let claims = try TokenClaims.parse(payloadJSON)
        if now >= claims.expiresAt + leeway {
            throw AuthError(.expired, "The token has expired.")
        }
        if let notBefore = claims.notBefore, notBefore > now + leeway {
            throw AuthError(.notYetValid, "The token is not valid yet.")
        }
        if let issuedAt = claims.issuedAt, issuedAt > now + leeway {
            throw AuthError(.notYetValid, "The token was issued in the future.")
        }
        return Principal(subject: claims.subject, tenant: claims.tenant, scopes: claims.scopes,
                         tokenID: claims.tokenID, expiresAt: claims.expiresAt)
    }

    /// Convenience for a token held as a `String`.
    public func verify(token: String, now: Double = Clock.wallSeconds()) throws(AuthError) -> Principal {
        try verify(token: token[...], now: now)
    }
}
