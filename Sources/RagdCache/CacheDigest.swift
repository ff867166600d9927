import Crypto
import RagdCore

/// SHA-256 digests that turn caller-supplied text (tenants, questions, client subjects,
/// texts to embed) into fixed-length key parts, so no user text lands in a Redis key.
/// `package`: the rate limiter (`RagdRateLimit`) digests its subjects the same way.
package enum CacheDigest {
    /// Lower-case hex SHA-256 of the UTF-8 of `text`.
    package static func hex(_ text: String) -> String {
        Hex.lowercase(SHA256.hash(data: Array(text.utf8)))
    }

    /// Lower-case hex SHA-256 of several fields, each preceded by its byte length, so that
    /// no two different field lists share an encoding ("ab","c" vs "a","bc").
    package static func hex(fields: [String]) -> String {
        var bytes: [UInt8] = []
        for field in fields {
            let utf8 = Array(field.utf8)
            bytes.append(contentsOf: Array(String(utf8.count).utf8))
            bytes.append(UInt8(ascii: ":"))
            bytes.append(contentsOf: utf8)
        }
        return Hex.lowercase(SHA256.hash(data: bytes))
    }
}
