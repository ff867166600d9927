import RagdRedis

/// The answer cache: whole answers, keyed by tenant, corpus version and a fingerprint the
/// caller builds from the normalized question and every parameter that changes the answer
/// (model, top-k, filters, prompt version...).
///
/// Key: prefix + `answer:` + SHA-256 hex of (tenant, corpus version, fingerprint), so no
/// question text lands in a key. Value: opaque bytes (the caller's JSON), with a TTL.
/// A bump of the tenant's corpus version (`CorpusVersions.bump`) makes every older entry
/// unreachable.
public struct AnswerCache {
    /// How long a stored answer lives.
    public let ttl: Duration
    private let redis: CacheRedis
    private let versions: CorpusVersions

    /// Uses `redis` (the calling thread's); entries live for `ttl`.
    public init(redis: CacheRedis, ttl: Duration) {
        self.redis = redis
        self.ttl = ttl
        versions = CorpusVersions(redis: redis)
    }

    /// Looks the answer up under the tenant's current corpus version. `version` is that
    /// version (pass it to `store` after computing the answer, so an answer computed while
    /// an ingest bumped the version is stored under the old one and never served); nil
    /// when Redis is unavailable, and the outcome is then `.bypassed`.
    public func lookup(tenant: String, fingerprint: String) -> (value: [UInt8]?, outcome: CacheOutcome, version: Int64?) {
        guard let version = versions.current(tenant: tenant) else { return (nil, .bypassed, nil) }
        let key = key(tenant: tenant, version: version, fingerprint: fingerprint)
        guard let value = redis.run({ connection throws(RedisError) in try connection.get(key) }) else {
            return (nil, .bypassed, version)
        }
        guard let value else { return (nil, .miss, version) }
        return (value, .hit, version)
    }

    /// Stores `value` for `ttl` under the version `lookup` returned. A no-op when `version`
    /// is nil or `ttl` is not positive; best effort (false when Redis did not take it).
    @discardableResult
    public func store(tenant: String, version: Int64?, fingerprint: String, value: [UInt8]) -> Bool {
        guard let version, ttl > .zero else { return false }
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
    /// lower-cased with Unicode's full case mapping, then put into NFC (from the standard
    /// library's normalization tables, so no Foundation or ICU).
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
        return String(decoding: lowered._nfcCodeUnits, as: UTF8.self)
    }
}
