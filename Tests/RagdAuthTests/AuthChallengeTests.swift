import Testing

@testable import RagdAuth

@Suite("AuthChallenge (RFC 6750 answers)")
struct AuthChallengeTests {
    @Test func missingCredentialsGet401WithoutErrorAttribute() {
        let challenge = AuthError(.missing, "This endpoint needs a Bearer token.").challenge
        #expect(challenge.status == 401)
        #expect(challenge.wwwAuthenticate == #"Bearer realm="ragd""#)
        #expect(challenge.problemCode == "authentication-required")
        #expect(challenge.detail == "This endpoint needs a Bearer token.")
    }

    @Test(arguments: [AuthError.Code.malformed, .badSignature, .expired, .notYetValid, .unsupportedAlgorithm, .invalidClaims])
    func badTokensGet401InvalidToken(_ code: AuthError.Code) {
        let challenge = AuthError(code, "The token has expired.").challenge
        #expect(challenge.status == 401)
        #expect(challenge.problemCode == "invalid-token")
        #expect(challenge.title == "Invalid Token")
        #expect(challenge.wwwAuthenticate
            == #"Bearer realm="ragd", error="invalid_token", error_description="The token has expired.""#)
    }

    @Test func missingScopeGets403NamingTheScope() throws {
        let principal = Principal(subject: "s", tenant: "t", scopes: [AuthScope.query], expiresAt: 0)
        let error = try #require(throws: AuthError.self) { try principal.require(AuthScope.documentsWrite) }
        let challenge = AuthChallenge(error)
        #expect(challenge.status == 403)
        #expect(challenge.problemCode == "insufficient-scope")
        #expect(challenge.wwwAuthenticate == #"Bearer realm="ragd", error="insufficient_scope", scope="documents:write""#)
    }

    @Test func descriptionCannotBreakOutOfTheQuotedString() {
        let challenge = AuthError(.malformed, "a \"quoted\" \\ value\r\nX-Injected: 1 \u{7F} é").challenge
        #expect(challenge.wwwAuthenticate
            == #"Bearer realm="ragd", error="invalid_token", error_description="a  quoted    value  X-Injected: 1    ""#)
    }

    @Test func everyMessageTheAuthenticatorProducesIsAlreadyHeaderSafe() {
        // Collect real messages by provoking each kind of failure.
        let authenticator = Authenticator(secret: TokenFactory.secret)
        let headers: [String?] = [
            nil, "Basic x", "Bearer", "Bearer a.b", "Bearer " + String(repeating: "a", count: 9000),
            "Bearer " + TokenFactory.token(header: #"{"alg":"none"}"#),
            "Bearer " + TokenFactory.token(header: #"{"alg":"HS256","crit":["b64"]}"#),
            "Bearer " + TokenFactory.token(secret: TokenFactory.otherSecret),
            "Bearer " + TokenFactory.token(payload: TokenFactory.payload([("exp", "1")])),
            "Bearer " + TokenFactory.token(payload: TokenFactory.payload([("nbf", "99999999999")])),
            "Bearer " + TokenFactory.token(payload: TokenFactory.payload([("tenant", #""a b""#)])),
            "Bearer " + TokenFactory.token(payload: TokenFactory.payload([("sub", nil)])),
        ]
        for header in headers {
            do {
                _ = try authenticator.authenticate(authorizationHeader: header, now: TokenFactory.now)
                Issue.record("accepted \(header ?? "nil")")
            } catch {
                #expect(AuthChallenge.quoted(error.message) == "\"\(error.message)\"", "\(error.message)")
                #expect(!error.message.isEmpty)
            }
        }
    }
}
