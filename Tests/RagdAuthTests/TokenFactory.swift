@testable import RagdAuth

/// Builds tokens of any shape for the rejection tests: HS256-signed with a chosen key over
/// chosen JSON text, so each test changes exactly one thing.
enum TokenFactory {
    static let secret = "test-secret-7b1e5c0a9d2f48e6b3a1c9d07e5f2a41"
    static let otherSecret = "another-secret-0f3d9a2c6b8e4f1a7c5d3b9e0a2f6c84"
    /// A fixed "now" (2023-11-14T22:13:20Z) so time checks do not depend on the clock.
    static let now: Double = 1_700_000_000

    static let header = #"{"alg":"HS256","typ":"JWT"}"#

    /// A payload that passes every check at `now`, with fields replaced or removed.
    static func payload(_ overrides: [(String, String?)] = []) -> String {
        var fields: [(String, String)] = [
            ("sub", #""user-42""#),
            ("tenant", #""acme""#),
            ("scope", #""documents:read query""#),
            ("iat", String(Int(now))),
            ("exp", String(Int(now) + 3600)),
            ("jti", #""j-1""#),
        ]
        for (key, value) in overrides {
            if let index = fields.firstIndex(where: { $0.0 == key }) {
                if let value { fields[index].1 = value } else { fields.remove(at: index) }
            } else if let value {
                fields.append((key, value))
            }
        }
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    static func token(header: String = header, payload: String = payload(), secret: String = secret) -> String {
        CompactJWS.signHS256(header: header, payload: payload, key: Array(secret.utf8))
    }

    /// `header.payload.` with no signature, as `alg: none` tokens come.
    static func unsigned(header: String, payload: String = payload()) -> String {
        Base64URL.encode(header) + "." + Base64URL.encode(payload) + "."
    }

    static func b64(_ text: String) -> String { Base64URL.encode(text) }
}
