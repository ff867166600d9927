import Testing

@testable import RagdAuth

@Suite("TokenIssuer")
struct TokenIssuerTests {
    let issuer = TokenIssuer(secret: TokenFactory.secret)

    private func failure(_ body: () throws(TokenIssuerError) -> String) -> TokenIssuerError.Code? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.code
        }
    }

    @Test func mintsTheDocumentedClaims() throws {
        let token = try issuer.mint(subject: "bob", tenant: "acme", scopes: ["query", "documents:read", "query"],
                                    ttl: 3600, now: 1_700_000_000.9, tokenID: "fixed")
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        try #require(parts.count == 3)
        let header = try #require(Base64URL.decode(Array(parts[0].utf8)))
        let payload = try #require(Base64URL.decode(Array(parts[1].utf8)))
        #expect(String(decoding: header, as: UTF8.self) == #"{"alg":"HS256","typ":"JWT"}"#)
        #expect(String(decoding: payload, as: UTF8.self)
            == #"{"sub":"bob","tenant":"acme","scope":"query documents:read","iat":1700000000,"exp":1700003600,"jti":"fixed"}"#)
    }

    @Test func randomTokenIDsDiffer() throws {
        let authenticator = Authenticator(secret: TokenFactory.secret)
        let a = try issuer.mint(tenant: "acme", scopes: ["query"], ttl: 60, now: TokenFactory.now)
        let b = try issuer.mint(tenant: "acme", scopes: ["query"], ttl: 60, now: TokenFactory.now)
        let idA = try authenticator.verify(token: a, now: TokenFactory.now).tokenID
        let idB = try authenticator.verify(token: b, now: TokenFactory.now).tokenID
        #expect(idA != nil && idA != idB)
        #expect(try authenticator.verify(token: a, now: TokenFactory.now).subject == TokenIssuer.defaultSubject)
    }

    @Test func ttlBounds() throws {
        #expect(failure { () throws(TokenIssuerError) in try issuer.mint(tenant: "t", scopes: ["query"], ttl: 0, now: 0) } == .invalidTTL)
        #expect(failure { () throws(TokenIssuerError) in try issuer.mint(tenant: "t", scopes: ["query"], ttl: -5, now: 0) } == .invalidTTL)
        #expect(failure { () throws(TokenIssuerError) in try issuer.mint(tenant: "t", scopes: ["query"], ttl: 366 * 86_400 + 1, now: 0) } == .invalidTTL)
        #expect(failure { () throws(TokenIssuerError) in try issuer.mint(tenant: "t", scopes: ["query"], ttl: 1, now: 0) } == nil)
        #expect(failure { () throws(TokenIssuerError) in try issuer.mint(tenant: "t", scopes: ["query"], ttl: 366 * 86_400, now: 0) } == nil)
    }

    @Test func refusesWhatTheAuthenticatorWouldReject() {
        #expect(failure { () throws(TokenIssuerError) in try issuer.mint(tenant: "a b", scopes: ["query"], ttl: 60) } == .invalidTenant)
        #expect(failure { () throws(TokenIssuerError) in try issuer.mint(tenant: "", scopes: ["query"], ttl: 60) } == .invalidTenant)
        #expect(failure { () throws(TokenIssuerError) in try issuer.mint(subject: "", tenant: "t", scopes: ["query"], ttl: 60) } == .invalidSubject)
        #expect(failure { () throws(TokenIssuerError) in try issuer.mint(tenant: "t", scopes: ["admin"], ttl: 60) } == .unknownScope)
        #expect(failure { () throws(TokenIssuerError) in try issuer.mint(tenant: "t", scopes: [], ttl: 60) } == .unknownScope)
    }

    @Test func subjectIsJSONEscaped() throws {
        let subject = #"o'neil "the" \ user"#
        let token = try issuer.mint(subject: subject, tenant: "t", scopes: ["query"], ttl: 60, now: TokenFactory.now)
        #expect(try Authenticator(secret: TokenFactory.secret).verify(token: token, now: TokenFactory.now).subject == subject)
    }
}
