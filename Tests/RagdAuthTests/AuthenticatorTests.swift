import Testing

@testable import RagdAuth

private let authenticator = Authenticator(secret: TokenFactory.secret)

/// The error `authenticate` throws for `header` at the fixed time (nil when it accepts).
private func rejection(_ header: String?, now: Double = TokenFactory.now) -> AuthError? {
    do {
        _ = try authenticator.authenticate(authorizationHeader: header, now: now)
        return nil
    } catch {
        return error
    }
}

private func rejection(token: String, now: Double = TokenFactory.now) -> AuthError? {
    rejection("Bearer " + token, now: now)
}

@Suite("Authenticator")
struct AuthenticatorTests {
    // MARK: Accepted tokens

    @Test func roundTripThroughTheIssuer() throws {
        let token = try TokenIssuer(secret: TokenFactory.secret).mint(
            subject: "alice", tenant: "acme.prod_1-x", scopes: [AuthScope.documentsRead, AuthScope.query],
            ttl: 600, now: TokenFactory.now, tokenID: "id-1")
        let principal = try authenticator.authenticate(authorizationHeader: "Bearer \(token)", now: TokenFactory.now + 1)
        #expect(principal == Principal(subject: "alice", tenant: "acme.prod_1-x",
                                       scopes: ["documents:read", "query"], tokenID: "id-1",
                                       expiresAt: TokenFactory.now + 600))
    }

    @Test func schemeIsCaseInsensitiveAndSpacesAreTolerated() throws {
        let token = TokenFactory.token()
        for header in ["bearer \(token)", "BEARER \(token)", "Bearer   \(token)  ", "  Bearer\t\(token)"] {
            #expect(rejection(header) == nil, "\(header.prefix(10))")
        }
    }

    @Test func unknownScopesAreKeptButGrantNothing() throws {
        let token = TokenFactory.token(payload: TokenFactory.payload([("scope", #""query  admin:all""#)]))
        let principal = try authenticator.verify(token: token, now: TokenFactory.now)
        #expect(principal.scopes == ["query", "admin:all"])
        #expect(throws: AuthError.self) { try principal.require(AuthScope.documentsWrite) }
    }

    @Test func absentScopeMeansNoScopes() throws {
        let token = TokenFactory.token(payload: TokenFactory.payload([("scope", nil)]))
        #expect(try authenticator.verify(token: token, now: TokenFactory.now).scopes.isEmpty)
    }

    @Test func fractionalTimesAndAtJWTTypeAreAccepted() throws {
        let token = TokenFactory.token(
            header: #"{"typ":"at+jwt","alg":"HS256","kid":"k1"}"#,
            payload: TokenFactory.payload([("exp", "1700000000.5"), ("nbf", "1699999999.25")]))
        #expect(try authenticator.verify(token: token, now: TokenFactory.now).expiresAt == 1_700_000_000.5)
    }

    // MARK: Missing or other scheme: no credentials

    @Test(arguments: [nil, "", "   ", "Basic dXNlcjpwYXNz", "Token abc", "Bearerabc.def.ghi"])
    func missingCredentials(_ header: String?) {
        #expect(rejection(header)?.code == .missing)
    }

    // MARK: Malformed

    @Test(arguments: [
        "Bearer", "Bearer    ",
        "Bearer abc", "Bearer a.b", "Bearer a.b.c.d", "Bearer ..",
        "Bearer a b.c.d",
    ])
    func malformedHeaders(_ header: String) {
        #expect(rejection(header)?.code == .malformed)
    }

    @Test func fiveDotJWEIsMalformed() {
        let parts = TokenFactory.token().split(separator: ".")
        #expect(rejection(token: (parts + ["x", "y"]).joined(separator: "."))?.code == .malformed)
    }

    @Test func paddingAndForeignAlphabetAreMalformed() {
        let token = TokenFactory.token()
        let parts = token.split(separator: ".").map(String.init)
        // Standard base64 alphabet (+ /) and `=` padding are not base64url.
        #expect(rejection(token: parts[0] + "=." + parts[1] + "." + parts[2])?.code == .malformed)
        #expect(rejection(token: parts[0] + "." + parts[1] + "." + parts[2] + "=")?.code == .malformed)
        #expect(rejection(token: "+" + parts[0].dropFirst() + "." + parts[1] + "." + parts[2])?.code == .malformed)
        // A length that no byte string encodes to (4n+1).
        #expect(rejection(token: "eyJhb." + parts[1] + "." + parts[2])?.code == .malformed)
    }

    @Test func nonCanonicalSignatureSpellingIsMalformed() throws {
        // 32 bytes encode to 43 characters whose last one carries 2 unused bits; flipping one
        // gives another spelling of the same MAC, which must not be accepted.
        let token = TokenFactory.token()
        let last = try #require(token.last)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let index = try #require(alphabet.firstIndex(of: last))
        let twin = String(token.dropLast()) + String(alphabet[index ^ 1])
        #expect(twin != token)
        #expect(rejection(token: twin)?.code == .malformed)
    }

    @Test func badJSONIsMalformed() {
        let payload = TokenFactory.payload()
        #expect(rejection(token: TokenFactory.token(header: #"{"alg":"HS256""#))?.code == .malformed)
        #expect(rejection(token: TokenFactory.token(header: "[]"))?.code == .malformed)
        #expect(rejection(token: TokenFactory.token(header: #"{"typ":"JWT"}"#))?.code == .malformed)
        #expect(rejection(token: TokenFactory.token(header: #"{"alg":"HS256","typ":"JOSE+JSON"}"#))?.code == .malformed)
        // Correctly signed but not JSON, or JSON that is not an object.
        #expect(rejection(token: TokenFactory.token(payload: String(payload.dropLast())))?.code == .malformed)
        #expect(rejection(token: TokenFactory.token(payload: "[1,2]"))?.code == .malformed)
        #expect(rejection(token: TokenFactory.token(payload: "not json"))?.code == .malformed)
    }

    @Test func duplicateMemberNamesAreMalformed() {
        // Foundation keeps the first duplicate, PyJWT the last: refuse rather than disagree.
        let base = TokenFactory.payload()
        let duplicated = String(base.dropLast()) + #","tenant":"victim"}"#
        #expect(rejection(token: TokenFactory.token(payload: duplicated))?.code == .malformed)
        let escaped = String(base.dropLast()) + #","ten\u0061nt":"victim"}"#
        #expect(rejection(token: TokenFactory.token(payload: escaped))?.code == .malformed)
        #expect(rejection(token: TokenFactory.token(header: #"{"alg":"HS256","alg":"none"}"#))?.code == .malformed)
    }

    @Test func nestedValuesWithColonsAreNotMistakenForMembers() {
        let payload = TokenFactory.payload([("ext", #"{"a":[1,{"b":"c:d"}],"e\"f:":"g:h"}"#), ("note", #""x:y, {z}""#)])
        #expect(rejection(token: TokenFactory.token(payload: payload)) == nil)
    }

    @Test func overlongTokenIsMalformedBeforeAnyParsing() {
        let padding = String(repeating: "A", count: Authenticator.maxTokenBytes)
        #expect(rejection(token: TokenFactory.token(payload: TokenFactory.payload([("pad", "\"\(padding)\"")])))?.code == .malformed)
        #expect(rejection(token: String(repeating: "a", count: Authenticator.maxTokenBytes + 1))?.code == .malformed)
    }

    // MARK: Algorithm

    @Test(arguments: ["none", "None", "NONE", "HS512", "HS384", "RS256", "ES256", "hs256", ""])
    func otherAlgorithmsAreRejected(_ alg: String) {
        let header = "{\"alg\":\"\(alg)\",\"typ\":\"JWT\"}"
        // Signed with our key by HS256 all the same: the header alone must sink it.
        #expect(rejection(token: TokenFactory.token(header: header))?.code == .unsupportedAlgorithm)
    }

    @Test func algNoneWithEmptySignatureIsRejected() {
        let token = TokenFactory.unsigned(header: #"{"alg":"none","typ":"JWT"}"#)
        #expect(token.hasSuffix("."))
        #expect(rejection(token: token)?.code == .unsupportedAlgorithm)
    }

    @Test func hs256HeaderWithEmptySignatureIsABadSignature() {
        #expect(rejection(token: TokenFactory.unsigned(header: TokenFactory.header))?.code == .badSignature)
    }

    @Test func criticalHeaderIsRejected() {
        let header = #"{"alg":"HS256","crit":["exp"],"exp":1}"#
        #expect(rejection(token: TokenFactory.token(header: header))?.code == .unsupportedAlgorithm)
    }

    // MARK: Signature

    @Test func tokenSignedWithAnotherKeyIsRejected() {
        #expect(rejection(token: TokenFactory.token(secret: TokenFactory.otherSecret))?.code == .badSignature)
    }

    @Test func tamperedPayloadWithTheOriginalSignatureIsRejected() {
        let original = TokenFactory.token().split(separator: ".").map(String.init)
        let forged = TokenFactory.b64(TokenFactory.payload([("tenant", #""victim""#)]))
        #expect(rejection(token: [original[0], forged, original[2]].joined(separator: "."))?.code == .badSignature)
        // And a header swapped for an equivalent one (key order) is a different signing input.
        let reordered = TokenFactory.b64(#"{"typ":"JWT","alg":"HS256"}"#)
        #expect(rejection(token: [reordered, original[1], original[2]].joined(separator: "."))?.code == .badSignature)
    }

    @Test func truncatedSignatureIsRejected() {
        // 40 of 43 characters: still canonical base64url (30 bytes), just too short a MAC.
        let token = TokenFactory.token()
        #expect(rejection(token: String(token.dropLast(3)))?.code == .badSignature)
    }

    // MARK: Time

    @Test func expiryHonoursTheLeeway() {
        let token = TokenFactory.token(payload: TokenFactory.payload([("exp", String(Int(TokenFactory.now)))]))
        #expect(rejection(token: token, now: TokenFactory.now - 1) == nil)
        #expect(rejection(token: token, now: TokenFactory.now + 29) == nil)
        #expect(rejection(token: token, now: TokenFactory.now + 30)?.code == .expired)
        #expect(rejection(token: token, now: TokenFactory.now + 86_400)?.code == .expired)
    }

    @Test func notBeforeHonoursTheLeeway() {
        let token = TokenFactory.token(payload: TokenFactory.payload([("nbf", String(Int(TokenFactory.now) + 100))]))
        #expect(rejection(token: token, now: TokenFactory.now)?.code == .notYetValid)
        #expect(rejection(token: token, now: TokenFactory.now + 69)?.code == .notYetValid)
        #expect(rejection(token: token, now: TokenFactory.now + 70) == nil)
    }

    @Test func issuedInTheFutureIsNotYetValid() {
        let token = TokenFactory.token(payload: TokenFactory.payload([("iat", String(Int(TokenFactory.now) + 600))]))
        #expect(rejection(token: token)?.code == .notYetValid)
    }

    @Test func zeroLeewayIsExact() throws {
        let strict = Authenticator(secret: TokenFactory.secret, leeway: 0)
        let token = TokenFactory.token(payload: TokenFactory.payload([("exp", String(Int(TokenFactory.now))), ("iat", nil)]))
        #expect(throws: AuthError.self) { try strict.verify(token: token, now: TokenFactory.now) }
        _ = try strict.verify(token: token, now: TokenFactory.now - 0.5)
    }

    // MARK: Claims

    @Test(arguments: [
        [("sub", nil)], [("sub", "42")], [("sub", #""""#)], [("sub", "null")], [("sub", #""a\nb""#)],
        [("tenant", nil)], [("tenant", #""""#)], [("tenant", "7")],
        [("tenant", #""acme corp""#)], [("tenant", #""acme\"}""#)], [("tenant", #""a:b""#)],
        [("tenant", #""a*""#)], [("tenant", #""ünïcode""#)], [("tenant", "\"" + String(repeating: "t", count: 65) + "\"")],
        [("exp", nil)], [("exp", #""1700003600""#)], [("exp", "true")], [("exp", "null")],
        [("iat", #""yesterday""#)], [("nbf", "[]")], [("jti", "5")],
        [("scope", #"["query"]"#)], [("scope", #""query \"x""#)],
    ] as [[(String, String?)]])
    func invalidClaimsAreRejected(_ overrides: [(String, String?)]) {
        #expect(rejection(token: TokenFactory.token(payload: TokenFactory.payload(overrides)))?.code == .invalidClaims)
    }

    @Test func longestTenantIsAccepted() {
        let tenant = String(repeating: "T", count: 64)
        #expect(rejection(token: TokenFactory.token(payload: TokenFactory.payload([("tenant", "\"\(tenant)\"")]))) == nil)
    }

    // MARK: Scopes

    @Test func requireChecksTheScope() throws {
        let principal = try authenticator.verify(token: TokenFactory.token(), now: TokenFactory.now)
        try principal.require(AuthScope.query)
        try principal.require(AuthScope.documentsRead)
        #expect(principal.has(AuthScope.query))
        do {
            try principal.require(AuthScope.documentsWrite)
            Issue.record("documents:write was granted")
        } catch {
            #expect(error.code == .insufficientScope)
            #expect(error.requiredScope == "documents:write")
        }
    }

    @Test func scopeMatchingIsExact() throws {
        let token = TokenFactory.token(payload: TokenFactory.payload([("scope", #""documents:read-all Query documents""#)]))
        let principal = try authenticator.verify(token: token, now: TokenFactory.now)
        for scope in [AuthScope.documentsRead, AuthScope.query, AuthScope.documentsWrite] {
            #expect(!principal.has(scope), "\(scope)")
        }
    }

    // MARK: Messages

    @Test func messagesNeverEchoTheToken() {
        let secretish = "zz-DO-NOT-ECHO-zz"
        let tokens = [
            TokenFactory.token(payload: TokenFactory.payload([("tenant", "\"\(secretish)!\"")])),
            TokenFactory.token(payload: TokenFactory.payload([("sub", "\"\(secretish)\""), ("exp", "1")])),
            TokenFactory.token(payload: TokenFactory.payload([("sub", "\"\(secretish)\"")]), secret: TokenFactory.otherSecret),
            "\(secretish).\(secretish).\(secretish)",
            secretish,
        ]
        for token in tokens {
            let error = rejection(token: token)
            #expect(error != nil)
            for text in [error?.message ?? "", error?.description ?? "", error?.challenge.wwwAuthenticate ?? ""] {
                #expect(!text.contains(secretish))
                #expect(!text.contains(token))
                #expect(!text.contains(TokenFactory.secret))
            }
        }
    }
}
