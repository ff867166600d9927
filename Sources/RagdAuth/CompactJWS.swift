import Crypto

/// HS256 signing of a compact JWS (RFC 7515 section 7.1): the one place ragd produces a MAC.
enum CompactJWS {
    /// `base64url(header).base64url(payload).base64url(HMAC-SHA256(key, first two parts))`.
    /// `header` and `payload` are JSON text, signed byte for byte as given.
    static func signHS256(header: String, payload: String, key: [UInt8]) -> String {
        let signingInput = Base64URL.encode(header) + "." + Base64URL.encode(payload)
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: SymmetricKey(data: key))
        return signingInput + "." + Base64URL.encode(Array(mac))
    }
}
