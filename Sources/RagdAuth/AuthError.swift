import RagdCore

/// Why a request was not authenticated or not authorized.
///
/// `message` is written for the client: it never contains the token, the secret or a claim
/// value (a tenant or subject could carry anything), only which rule was broken. It also
/// stays within the characters RFC 6750 allows in `error_description`.
public struct AuthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, ErrorCode {
        /// No `Authorization` header, an empty one, or a scheme other than `Bearer`.
        case missing
        /// Not a compact JWS: wrong part count, bad base64url, bad JSON, too long.
        case malformed
        /// The HMAC does not match: another key, or a changed header or payload.
        case badSignature
        /// `exp` has passed (after the leeway).
        case expired
        /// `nbf` or `iat` lies in the future (beyond the leeway).
        case notYetValid
        /// `alg` is not `HS256` (`none` included), or the header has `crit`.
        case unsupportedAlgorithm
        /// A required claim is missing, has the wrong type, or breaks its rule.
        case invalidClaims
        /// The token is valid but lacks the scope the operation needs (HTTP 403).
        case insufficientScope
    }

    /// What went wrong.
    public let code: Code
    /// A message safe to show to the client.
    public let message: String
    /// For `insufficientScope`: the scope the operation needs; nil otherwise.
    public let requiredScope: String?

    /// Creates an error; keep `message` free of token, secret and claim values.
    public init(_ code: Code, _ message: String, requiredScope: String? = nil) {
        self.code = code
        self.message = message
        self.requiredScope = requiredScope
    }

    public var description: String { "\(code): \(message)" }
}

extension AuthError {
    static func missing(_ message: String) -> AuthError { AuthError(.missing, message) }
    static func malformed(_ message: String) -> AuthError { AuthError(.malformed, message) }
    static func invalidClaims(_ message: String) -> AuthError { AuthError(.invalidClaims, message) }
}
