/// Who is calling, as a verified token says: the subject, its tenant and what it may do.
public struct Principal: Sendable, Equatable {
    /// The `sub` claim.
    public let subject: String
    /// The `tenant` claim; valid by `ClaimRules.isValidTenant`, safe as a filter value or key part.
    public let tenant: String
    /// The scopes from the `scope` claim (unknown scopes are kept; they grant nothing).
    public let scopes: Set<String>
    /// The `jti` claim, if the token had one.
    public let tokenID: String?
    /// The `exp` claim, seconds since the Unix epoch.
    public let expiresAt: Double

    /// Creates a principal; `Authenticator` is the usual source.
    public init(subject: String, tenant: String, scopes: Set<String>, tokenID: String? = nil, expiresAt: Double) {
        self.subject = subject
        self.tenant = tenant
        self.scopes = scopes
        self.tokenID = tokenID
        self.expiresAt = expiresAt
    }

    /// Whether the token grants `scope`.
    public func has(_ scope: String) -> Bool { scopes.contains(scope) }

    /// Throws `insufficientScope` (HTTP 403) unless the token grants `scope`.
    public func require(_ scope: String) throws(AuthError) {
        guard has(scope) else {
            throw AuthError(.insufficientScope, "This operation needs the scope \(scope).", requiredScope: scope)
        }
    }
}
