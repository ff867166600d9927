import RagdEmbedding
import RagdRedis

/// Wraps an embedder with a Redis cache of vectors.
///
/// Key: prefix + `emb:` + model + `:` + dimension + `:` + purpose + `:` + SHA-256 hex of the
/// text with the base embedder's input prefix for that purpose in front (exactly what the
/// model embeds), so a change of model, dimension, purpose or input prefix
/// (`EMBEDDING_QUERY_PREFIX`) never reuses a vector. Value: the
/// vector as little-endian Float32 bytes, with a TTL.
///
/// A batch costs one MGET; only the misses (each distinct text once) go to the base
/// embedder, and they are stored with one script call. Results keep input order. With
/// Redis unavailable every text goes straight to the base embedder. A cached value of the
/// wrong size or with non-finite numbers counts as a miss. Errors of the base embedder
/// pass through unchanged, and nothing is stored then.
///
/// Like the `CacheRedis` it uses, one instance belongs to one thread.
public final class CachingEmbedder: Embedder {
    /// The wrapped embedder.
    public let base: Embedder
    /// How long a stored vector lives.
    public let ttl: Duration
    private let redis: CacheRedis
    private let onOutcome: ((CacheOutcome, Int) -> Void)?

    /// The base embedder's model name.
    public var model: String { base.model }
    /// The base embedder's dimension.
    public var dimension: Int { base.dimension }
    /// The base embedder's input prefixes.
    public var prefixes: EmbeddingPrefixes { base.prefixes }

    /// Wraps `base`. `onOutcome` is called after each batch with the number of texts per
    /// outcome (only for non-zero counts): `.hit` served from Redis, `.miss` embedded by
    /// `base` and stored, `.bypassed` embedded by `base` because Redis was unavailable.
    /// Default TTL: 7 days.
    public init(base: Embedder, redis: CacheRedis, ttl: Duration = .seconds(7 * 24 * 3600),
                onOutcome: ((CacheOutcome, Int) -> Void)? = nil) {
        self.base = base
        self.redis = redis
        self.ttl = ttl
        self.onOutcome = onOutcome
    }

    /// Embeds `texts` for `purpose`, from the cache where possible.
    public func embed(_ texts: [String], purpose: EmbeddingPurpose) throws(EmbeddingError) -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        let keys = texts.map { key(for: $0, purpose: purpose) }
        guard let cached = redis.run({ connection throws(RedisError) in try connection.mget(keys) }) else {
            let vectors = try base.embed(texts, purpose: purpose)
            report(.bypassed, texts.count)
            return vectors
        }

        var vectors = [[Float]?](repeating: nil, count: texts.count)
        // Distinct missing texts in first-seen order, and where each one goes.
        var missingKeys: [String] = []
        var missingTexts: [String] = []
        var positions: [String: [Int]] = [:]
        for index in texts.indices {
            if let bytes = cached[index], let vector = decode(bytes) {
                vectors[index] = vector
                continue
            }
            let key = keys[index]
            if positions[key] == nil {
                missingKeys.append(key)
                missingTexts.append(texts[index])
            }
            positions[key, default: []].append(index)
        }
        let hits = texts.count - positions.values.reduce(0) { $0 + $1.count }
        if !missingTexts.isEmpty {
            let fresh = try base.embed(missingTexts, purpose: purpose)
            guard fresh.count == missingTexts.count else {
                throw EmbeddingError(.invalidResponse, "embedder returned \(fresh.count) vectors for \(missingTexts.count) texts")
            }
            for (key, vector) in zip(missingKeys, fresh) {
                for index in positions[key, default: []] { vectors[index] = vector }
            }
            store(keys: missingKeys, vectors: fresh)
        }
        report(.hit, hits)
        report(.miss, texts.count - hits)
        return vectors.map { $0! }
    }

    /// The Redis key of a text's vector (exposed for tests and tools).
    public func key(for text: String, purpose: EmbeddingPurpose) -> String {
        redis.key("emb:\(model):\(dimension):\(purpose.rawValue):" + CacheDigest.hex(prefixes.prefix(for: purpose) + text))
    }

    // MARK: - Storage

    private func store(keys: [String], vectors: [[Float]]) {
        guard ttl > .zero else { return }
        var storeKeys: [String] = []
        var arguments: [[UInt8]] = [Array(String(Self.milliseconds(ttl)).utf8)]
        for (key, vector) in zip(keys, vectors) where vector.count == dimension {
            storeKeys.append(key)
            arguments.append(Self.encode(vector))
        }
        guard !storeKeys.isEmpty else { return }
        _ = redis.run { connection throws(RedisError) in
            try Self.setAll.run(on: connection, keys: storeKeys, arguments: arguments)
        }
    }

    private func decode(_ bytes: [UInt8]) -> [Float]? {
        guard bytes.count == dimension * 4 else { return nil }
        var vector = [Float]()
        vector.reserveCapacity(dimension)
        var index = 0
        while index < bytes.count {
            let bits = UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8
                | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24
            let value = Float(bitPattern: bits)
            guard value.isFinite else { return nil }
            vector.append(value)
            index += 4
        }
        return vector
    }

    static func encode(_ vector: [Float]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            let bits = value.bitPattern
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 24))
        }
        return bytes
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    private func report(_ outcome: CacheOutcome, _ count: Int) {
        if count > 0 { onOutcome?(outcome, count) }
    }

    /// SET with PX for every key in one round trip: ARGV[1] is the TTL in milliseconds,
    /// ARGV[i + 1] the value of KEYS[i].
    private static let setAll = RedisScript("""
        for i, key in ipairs(KEYS) do
          redis.call('SET', key, ARGV[i + 1], 'PX', ARGV[1])
        end
        return #KEYS
        """)
}
