#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The claims of a verified token's payload, typed and checked against `ClaimRules`.
/// Times are NumericDate (seconds since the epoch, fractions allowed).
struct TokenClaims: Decodable {
    let subject: String
    let tenant: String
    let scopes: Set<String>
    let expiresAt: Double
    let issuedAt: Double?
    let notBefore: Double?
    let tokenID: String?
    let distinctKeys: Int

    private enum Keys: String, CodingKey { case sub, tenant, scope, exp, iat, nbf, jti }

    init(from decoder: Decoder) throws {
        let container: KeyedDecodingContainer<Keys>
        do {
            container = try decoder.container(keyedBy: Keys.self)
        } catch {
            throw AuthError.malformed("The token payload is not a JSON object.")
        }
        subject = try Self.required(String.self, .sub, "a string", in: container)
        guard ClaimRules.isValidSubject(subject) else {
            throw AuthError.invalidClaims("Claim sub must be 1-256 bytes without control characters.")
        }
        tenant = try Self.required(String.self, .tenant, "a string", in: container)
        guard ClaimRules.isValidTenant(tenant) else {
            throw AuthError.invalidClaims("Claim tenant must be 1-64 characters of A-Z a-z 0-9 . _ -.")
        }
        let scope = try Self.optional(String.self, .scope, "a string", in: container) ?? ""
        guard let scopes = ClaimRules.parseScopes(scope) else {
            throw AuthError.invalidClaims("Claim scope must be space-separated scope tokens.")
        }
        self.scopes = scopes
        expiresAt = try Self.required(Double.self, .exp, "a NumericDate", in: container)
        issuedAt = try Self.optional(Double.self, .iat, "a NumericDate", in: container)
        notBefore = try Self.optional(Double.self, .nbf, "a NumericDate", in: container)
        tokenID = try Self.optional(String.self, .jti, "a string", in: container)
        distinctKeys = try JSONMemberCount.distinctKeys(in: decoder)
        for time in [expiresAt, issuedAt, notBefore] {
            if let time, !time.isFinite {
                throw AuthError.invalidClaims("Time claims must be finite numbers.")
            }
        }
    }

    private static func required<T: Decodable>(_ type: T.Type, _ key: Keys, _ what: String,
                                               in container: KeyedDecodingContainer<Keys>) throws -> T {
        guard let value = try optional(type, key, what, in: container) else {
            throw AuthError.invalidClaims("Claim \(key.rawValue) is required.")
        }
        return value
    }

    /// nil when absent; a JSON `null` or a value of another type is an error, not absence.
    private static func optional<T: Decodable>(_ type: T.Type, _ key: Keys, _ what: String,
                                               in container: KeyedDecodingContainer<Keys>) throws -> T? {
        guard container.contains(key) else { return nil }
        guard let value = try? container.decode(type, forKey: key) else {
            throw AuthError.invalidClaims("Claim \(key.rawValue) must be \(what).")
        }
        return value
    }

    /// Decodes the payload; JSON errors are `malformed`, claim errors `invalidClaims`.
    static func parse(_ json: [UInt8]) throws(AuthError) -> TokenClaims {
        let claims: TokenClaims
        do {
            claims = try JSONDecoder().decode(TokenClaims.self, from: Data(json))
        } catch let error as AuthError {
            throw error
        } catch {
            throw AuthError.malformed("The token payload is not valid JSON.")
        }
        guard claims.distinctKeys == JSONMemberCount.topLevelMembers(json) else {
            throw AuthError.malformed("The token payload repeats a claim name.")
        }
        return claims
    }
}
