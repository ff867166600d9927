import RagdRedis

/// Per-tenant corpus version: ingest and delete bump it, and the answer cache puts it in
/// its keys, so answers computed from an older corpus are never served again (they expire
/// with their TTL).
///
/// Key: prefix + `corpus:` + SHA-256 hex of the tenant; no TTL. A version starts at Redis's
/// clock in microseconds (TIME) rather than at 0, so if the key is ever lost (eviction,
/// FLUSHDB, a fresh Redis) the new version cannot equal an old one that may still have
/// cached answers. Both the start and the bump are single scripts, so concurrent workers
/// cannot race.
public struct CorpusVersions {
    private let redis: CacheRedis

    /// Uses `redis` (the calling thread's).
    public init(redis: CacheRedis) {
        self.redis = redis
    }

    /// The tenant's current version (creating it if missing), or nil when Redis is
    /// unavailable.
    public func current(tenant: String) -> Int64? {
        let key = key(tenant)
        return redis.run { connection throws(RedisError) -> Int64 in
            if let stored = try connection.get(key) {
                return try Self.parse(.string(stored))
            }
            return try Self.parse(Self.start.run(on: connection, keys: [key], arguments: []))
        }
    }

    /// Moves the tenant to a new version. False when Redis is unavailable: then answers of
    /// the old corpus may still be served until their TTL runs out.
    @discardableResult
    public func bump(tenant: String) -> Bool {
        let key = key(tenant)
        return redis.run { connection throws(RedisError) -> Int64 in
            try Self.parse(Self.increment.run(on: connection, keys: [key], arguments: []))
        } != nil
    }

    private func key(_ tenant: String) -> String {
        redis.key("corpus:" + CacheDigest.hex(tenant))
    }

    private static func parse(_ reply: RedisReply) throws(RedisError) -> Int64 {
        switch reply {
        case .integer(let value): return value
        case .string(let bytes):
            if let value = Int64(String(decoding: bytes, as: UTF8.self)) { return value }
        default: break
        }
        throw RedisError(.protocolError, "a corpus version is not an integer")
    }

    // TIME's seconds followed by its microseconds padded to 6 digits: an integer string of
    // 16 digits, well inside INCR's 64-bit range, built as text so Lua's doubles never
    // round it.
    private static let start = RedisScript("""
        local v = redis.call('GET', KEYS[1])
        if v then return v end
        local t = redis.call('TIME')
        v = t[1] .. string.format('%06d', tonumber(t[2]))
        redis.call('SET', KEYS[1], v)
        return v
        """)

    private static let increment = RedisScript("""
        if redis.call('EXISTS', KEYS[1]) == 0 then
          local t = redis.call('TIME')
          redis.call('SET', KEYS[1], t[1] .. string.format('%06d', tonumber(t[2])))
        end
        return redis.call('INCR', KEYS[1])
        """)
}
