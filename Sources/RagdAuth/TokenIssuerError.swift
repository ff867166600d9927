/// Why `TokenIssuer` refused to mint: the request would give a token that ragd itself rejects
/// or that breaks a policy. Messages carry no secret.
public struct TokenIssuerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String { case invalidSubject, invalidTenant, unknownScope, invalidTTL }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The subject breaks `ClaimRules.isValidSubject`.
        public static let invalidSubject = Code(.invalidSubject)
        /// The tenant breaks `ClaimRules.isValidTenant`.
        public static let invalidTenant = Code(.invalidTenant)
        /// A scope is not one of `AuthScope.known` (or there is none).
        public static let unknownScope = Code(.unknownScope)
        /// The lifetime is outside `TokenIssuer.ttlRange`.
        public static let invalidTTL = Code(.invalidTTL)

        public var description: String { value.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// A message for the operator.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
