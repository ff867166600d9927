import Foundation
import RagdRedis

/// The answer cache: whole answers, keyed by tenant, corpus version and a fingerprint the
/// caller builds from the normalized question and every parameter that changes the answer
/// (model, top-k, filters, prompt version...).
///
/// The corpus version comes from the caller: ragd keeps it in PostgreSQL, bumped by a
/// trigger in the transaction that changes a document, so it moves even when Redis was
/// down at that moment, and an answer can never outlive the corpus it was made from.
/// Key: prefix + `answer:` + SHA-256 hex of (tenant, corpus version, fingerprint), so no
/// question text lands in a key. Value: opaque bytes (the caller's JSON), with a TTL.
public struct AnswerCache {
    /// How long a stored answer lives.
    public let ttl: Duration
    private let redis: CacheRedis

    /// Uses `redis` (the calling thread's); entries live for `ttl`.
    public init(redis: CacheRedis, ttl: Duration) {
        self.redis = redis
        self.ttl = ttl
    }

    /// The answer stored for the tenant's corpus `version`; `.bypassed` when Redis is
    /// unavailable.
    public func lookup(tenant: String, version: Int64, fingerprint: String) -> (value: [UInt8]?, outcome: CacheOutcome) {
        let key = key(tenant: tenant, version: version, fingerprint: fingerprint)
        guard let value = redis.run({ connection throws(RedisError) in try connection.get(key) }) else {
            return (nil, .bypassed)
        }
        guard let value else { return (nil, .miss) }
        return (value, .hit)
    }

    /// Stores `value` for `ttl` under the corpus `version` read before the answer was
    /// made (an answer made while an ingest committed is then filed under the old version
    /// and never served). A no-op when `ttl` is not positive; best effort (false when
    /// Redis did not take it).
    @discardableResult
    public func store(tenant: String, version: Int64, fingerprint: String, value: [UInt8]) -> Bool {
        guard ttl > .zero else { return false }
        let key = key(tenant: tenant, version: version, fingerprint: fingerprint)
        let ttl = ttl
        return redis.run { connection throws(RedisError) in try connection.set(key, value, expiresIn: ttl) } != nil
    }

    /// The Redis key of an entry (exposed for tests and tools).
    public func key(tenant: String, version: Int64, fingerprint: String) -> String {
        redis.key("answer:" + CacheDigest.hex(fields: ["answer-v1", tenant, String(version), fingerprint]))
    }

    /// A question in the form that makes trivially different spellings share an entry:
    /// trimmed, every run of whitespace (Unicode White_Space) collapsed to one space,
    /// lower-cased with Unicode's full case mapping, then put into NFC.
    public static func normalizedQuestion(_ q: String) -> String {
        var collapsed = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in q.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !collapsed.isEmpty
                continue
            }
            if pendingSpace {
                collapsed.append(" ")
                pendingSpace = false
            }
            collapsed.append(scalar)
        }
        let lowered = String(collapsed).lowercased()
        guard lowered.utf8.contains(where: { $0 >= 0x80 }) else { return lowered }
        return lowered.precomposedStringWithCanonicalMapping
    }
}
