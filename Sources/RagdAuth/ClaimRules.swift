/// The rules a token's values must follow, shared by the verifier and the issuer so that
/// ragd never mints a token it would refuse.
public enum ClaimRules {
    /// Longest tenant: 64 characters.
    public static let maxTenantLength = 64
    /// Longest subject: 256 UTF-8 bytes.
    public static let maxSubjectBytes = 256

    /// 1-64 characters of `[A-Za-z0-9._-]`. Tenants become Milvus filter values and Redis key
    /// parts, so the alphabet leaves nothing to escape there (no quotes, spaces, `:` or `*`).
    public static func isValidTenant(_ tenant: String) -> Bool {
        let bytes = tenant.utf8
        guard (1...maxTenantLength).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }

    /// 1-256 UTF-8 bytes with no control characters: the subject ends up in logs.
    public static func isValidSubject(_ subject: String) -> Bool {
        guard (1...maxSubjectBytes).contains(subject.utf8.count) else { return false }
        return subject.unicodeScalars.allSatisfy { !($0.value < 0x20 || (0x7F...0x9F).contains($0.value)) }
    }

    /// A scope token as RFC 6749 section 3.3 defines it: printable ASCII except space, `"`
    /// and `\`, at least one character.
    public static func isValidScopeToken(_ token: Substring) -> Bool {
        !token.isEmpty && token.utf8.allSatisfy { byte in
            byte == 0x21 || (0x23...0x5B).contains(byte) || (0x5D...0x7E).contains(byte)
        }
    }

    /// The scopes in a `scope` claim (separated by spaces), or nil when a token breaks the
    /// RFC 6749 rule. Runs of spaces are tolerated.
    public static func parseScopes(_ claim: String) -> Set<String>? {
        var scopes = Set<String>()
        for token in claim.split(separator: " ", omittingEmptySubsequences: true) {
            guard isValidScopeToken(token) else { return nil }
            scopes.insert(String(token))
        }
        return scopes
    }
}
