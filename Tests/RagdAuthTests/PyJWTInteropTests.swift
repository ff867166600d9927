import Foundation
import RagdTesting
import Testing

@testable import RagdAuth

/// Tokens produced by PyJWT 2.15.1 (`jwt.encode(payload, secret, algorithm=...)`), an
/// implementation independent of ours, recorded so interoperability is checked on every run.
enum PyJWTVectors {
    static let secret = "pyjwt-vector-secret-4f9c2a7e81d3b605"

    /// payload {"sub":"alice@example.com","tenant":"acme-corp","scope":"documents:read query",
    /// "iat":1700000000,"exp":1700003600,"jti":"vector-1"}, HS256.
    static let hs256 = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZUBleGFtcGxlLmNvbSIsInRlbmFudCI6ImFjbWUtY29ycCIsInNjb3BlIjoiZG9jdW1lbnRzOnJlYWQgcXVlcnkiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwianRpIjoidmVjdG9yLTEifQ.yGSauHkAFUOTZoYZuW80xHcPvgBHkUMP03piKlpMjxY"

    /// payload {"sub":"svc.ingest","tenant":"t_01.x-y","scope":"documents:write","exp":1700003600,
    /// "nbf":1700000000}, HS256, headers={"typ":"at+jwt"}.
    static let hs256AtJWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJzdmMuaW5nZXN0IiwidGVuYW50IjoidF8wMS54LXkiLCJzY29wZSI6ImRvY3VtZW50czp3cml0ZSIsImV4cCI6MTcwMDAwMzYwMCwibmJmIjoxNzAwMDAwMDAwfQ.GwlPaEeTQlq0bgAR7XsfUNnuCLQuKKLubKIJIIlrFmU"

    /// The `hs256` payload signed HS512 with the same secret.
    static let hs512 = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZUBleGFtcGxlLmNvbSIsInRlbmFudCI6ImFjbWUtY29ycCIsInNjb3BlIjoiZG9jdW1lbnRzOnJlYWQgcXVlcnkiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwianRpIjoidmVjdG9yLTEifQ.PXuXpsUEqroA4RJV3l71PWh8Kn9_-9oasH1H--yb8bpVsEUEciSUbFObaJ3g80eA-h57KzZuuN49T3Bqbxo9Lg"

    /// The `hs256` payload with `algorithm="none"` (empty signature).
    static let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZUBleGFtcGxlLmNvbSIsInRlbmFudCI6ImFjbWUtY29ycCIsInNjb3BlIjoiZG9jdW1lbnRzOnJlYWQgcXVlcnkiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwianRpIjoidmVjdG9yLTEifQ."

    /// The `hs256` payload signed HS256 with "another-secret-entirely-0000000000".
    static let otherKey = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZUBleGFtcGxlLmNvbSIsInRlbmFudCI6ImFjbWUtY29ycCIsInNjb3BlIjoiZG9jdW1lbnRzOnJlYWQgcXVlcnkiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwianRpIjoidmVjdG9yLTEifQ.gkRtWusxwTOFc8Xc1l1Jxtx6gV12lPhei_mDCfgxcoI"

    /// PyJWT's encoding of exactly what `TokenIssuer.mint(tenant: "acme", scopes: [read, write,
    /// query], ttl: 3600, now: 1700000000, tokenID: "fixed-jti")` signs: PyJWT sorts header keys
    /// and keeps payload order, with compact separators, so the two must agree byte for byte.
    static let mintTwin = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJyYWdkLWNsaSIsInRlbmFudCI6ImFjbWUiLCJzY29wZSI6ImRvY3VtZW50czpyZWFkIGRvY3VtZW50czp3cml0ZSBxdWVyeSIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwLCJqdGkiOiJmaXhlZC1qdGkifQ.-b1u9YfTD85yZCHR5B69L4EmmDgyqEgix0dyfJz5Fcg"
}

@Suite("PyJWT interoperability")
struct PyJWTInteropTests {
    let authenticator = Authenticator(secret: PyJWTVectors.secret)
    let now: Double = 1_700_000_100

    @Test func acceptsPyJWTHS256() throws {
        let principal = try authenticator.verify(token: PyJWTVectors.hs256, now: now)
        #expect(principal == Principal(subject: "alice@example.com", tenant: "acme-corp",
                                       scopes: ["documents:read", "query"], tokenID: "vector-1", expiresAt: 1_700_003_600))
    }

    @Test func acceptsPyJWTAtJWTWithNotBefore() throws {
        let principal = try authenticator.verify(token: PyJWTVectors.hs256AtJWT, now: now)
        #expect(principal.tenant == "t_01.x-y")
        #expect(principal.scopes == ["documents:write"])
        #expect(throws: AuthError.self) { try authenticator.verify(token: PyJWTVectors.hs256AtJWT, now: 1_699_999_000) }
    }

    @Test func rejectsPyJWTTokensWeMustNotTrust() {
        let cases: [(String, AuthError.Code)] = [
            (PyJWTVectors.hs512, .unsupportedAlgorithm),
            (PyJWTVectors.none, .unsupportedAlgorithm),
            (PyJWTVectors.otherKey, .badSignature),
        ]
        for (token, code) in cases {
            do {
                _ = try authenticator.verify(token: token, now: now)
                Issue.record("accepted a token that should fail with \(code)")
            } catch {
                #expect(error.code == code)
            }
        }
        #expect(throws: AuthError.self) { try authenticator.verify(token: PyJWTVectors.hs256, now: 1_700_003_630) }
    }

    @Test func issuerProducesPyJWTsBytes() throws {
        let token = try TokenIssuer(secret: PyJWTVectors.secret).mint(
            tenant: "acme", scopes: [AuthScope.documentsRead, AuthScope.documentsWrite, AuthScope.query],
            ttl: 3600, now: 1_700_000_000, tokenID: "fixed-jti")
        #expect(token == PyJWTVectors.mintTwin)
    }

    /// Checks fresh tokens both ways against the PyJWT on this machine (the venv named by
    /// RAGD_TEST_PYTHON, default /opt/ragd-test-venv/bin/python, which scripts/stack.sh
    /// install fills). Not skipped without it: a skip would pass silently in CI.
    @Test func agreesWithLivePyJWT() throws {
        try #require(LivePyJWT.isAvailable, "no PyJWT in \(LivePyJWT.python): run scripts/stack.sh install (or set RAGD_TEST_PYTHON)")
        let secret = "live-secret-" + String(UInt64.random(in: 0...UInt64.max))
        let now = Double(Int(Date().timeIntervalSince1970))
        let minted = try TokenIssuer(secret: secret).mint(subject: "swift-side", tenant: "live.t-1",
                                                          scopes: ["documents:read", "query"], ttl: 300, now: now)
        let script = """
            import json, sys, time, jwt
            secret, token = sys.argv[1], sys.argv[2]
            claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
            made = jwt.encode({"sub": "python-side", "tenant": "py_t", "scope": "documents:write",
                               "iat": int(time.time()), "exp": int(time.time()) + 300, "jti": "py"},
                              secret, algorithm="HS256")
            json.dump({"claims": claims, "token": made}, sys.stdout)
            """
        let output = try LivePyJWT.run(["-c", script, secret, minted])
        try #require(output.status == 0)
        let decoded = try #require(try JSONSerialization.jsonObject(with: output.stdout) as? [String: Any])
        let claims = try #require(decoded["claims"] as? [String: Any])
        #expect(claims["sub"] as? String == "swift-side")
        #expect(claims["tenant"] as? String == "live.t-1")
        #expect(claims["scope"] as? String == "documents:read query")
        #expect((claims["exp"] as? NSNumber)?.doubleValue == now + 300)

        let pythonToken = try #require(decoded["token"] as? String)
        let principal = try Authenticator(secret: secret).verify(token: pythonToken)
        #expect(principal.subject == "python-side")
        #expect(principal.tenant == "py_t")
        #expect(principal.scopes == ["documents:write"])
        #expect(throws: AuthError.self) { try Authenticator(secret: secret + "x").verify(token: pythonToken) }
    }
}

enum LivePyJWT {
    static var python: String {
        ProcessInfo.processInfo.environment["RAGD_TEST_PYTHON"] ?? "/opt/ragd-test-venv/bin/python"
    }

    static let isAvailable: Bool = {
        FileManager.default.isExecutableFile(atPath: python)
            && (try? run(["-c", "import jwt"]))?.status == 0
    }()

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: Data) {
        let result = try RagdTesting.run(python, arguments, separateErrors: true)
        return (result.status, Data(result.output.utf8))
    }
}
