import Foundation
import RagdCache
import RagdEmbedding
import RagdRedis
import RagdTesting
import Testing

@Suite(.timeLimit(.minutes(2)))
struct CachingEmbedderTests {
    /// The vector is of prefix + text: another EMBEDDING_QUERY_PREFIX must not reuse it.
    @Test func theInputPrefixIsPartOfTheKey() throws {
        let prefix = TestRedis.uniquePrefix("emb")
        defer { TestRedis.cleanUp(prefix: prefix) }
        let redis = TestRedis.cache("emb", prefix: prefix)
        let plain = CachingEmbedder(base: try CountingEmbedder(), redis: redis)
        let e5 = CachingEmbedder(base: try CountingEmbedder(prefixes: .e5), redis: redis)
        #expect(e5.prefixes == .e5)
        #expect(plain.key(for: "q", purpose: .query) != e5.key(for: "q", purpose: .query))
        #expect(plain.key(for: "query: q", purpose: .query) == e5.key(for: "q", purpose: .query),
                "keyed by exactly what the model embeds")
    }

    @Test func aSecondCallIsServedFromTheCache() throws {
        let prefix = TestRedis.uniquePrefix("emb")
        defer { TestRedis.cleanUp(prefix: prefix) }
        let base = try CountingEmbedder()
        let counter = OutcomeCounter()
        let embedder = CachingEmbedder(base: base, redis: TestRedis.cache("emb", prefix: prefix), ttl: .seconds(120),
                                       onOutcome: counter.record)
        #expect(embedder.model == base.model)
        #expect(embedder.dimension == 64)

        let texts = ["What is retrieval?", "Zwölf Boxkämpfer jagen Viktor"]
        let first = try embedder.embed(texts, purpose: .query)
        let second = try embedder.embed(texts, purpose: .query)
        #expect(base.calls == [texts])
        #expect(first == second)
        #expect(first == (try base.inner.embed(texts, purpose: .query)))
        #expect(counter[.miss] == 2)
        #expect(counter[.hit] == 2)
        #expect(counter[.bypassed] == 0)

        // Stored as little-endian Float32 with the TTL.
        let key = embedder.key(for: texts[0], purpose: .query)
        #expect(key.hasPrefix(prefix + "emb:\(base.model):64:query:"))
        let inspector = try TestRedis.inspector()
        let bytes = try #require(try inspector.get(key))
        #expect(bytes.count == 64 * 4)
        let firstValue = Float(bitPattern: UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
        #expect(firstValue == first[0][0])
        let pttl = try #require(try inspector.command(["PTTL", key]).integer)
        #expect(pttl > 0 && pttl <= 120_000)
    }

    @Test func aMixedBatchEmbedsOnlyTheMissesAndKeepsOrder() throws {
        let prefix = TestRedis.uniquePrefix("emb-mixed")
        defer { TestRedis.cleanUp(prefix: prefix) }
        let base = try CountingEmbedder()
        let counter = OutcomeCounter()
        let embedder = CachingEmbedder(base: base, redis: TestRedis.cache("emb-mixed", prefix: prefix), ttl: .seconds(60),
                                       onOutcome: counter.record)
        _ = try embedder.embed(["b", "d"])
        let batch = ["a", "b", "c", "d", "a", ""]
        let vectors = try embedder.embed(batch)
        // Only the distinct misses went to the base embedder, in first-seen order.
        #expect(base.calls == [["b", "d"], ["a", "c", ""]])
        #expect(vectors == batch.map { base.inner.vector(for: $0) })
        #expect(counter[.hit] == 2)
        #expect(counter[.miss] == 2 + 4)

        // Now all of them are cached.
        #expect(try embedder.embed(batch.reversed()) == batch.reversed().map { base.inner.vector(for: $0) })
        #expect(base.calls.count == 2)
        #expect(try embedder.embed([]) == [])
    }

    @Test func anotherModelDimensionOrPurposeMisses() throws {
        let prefix = TestRedis.uniquePrefix("emb-keys")
        defer { TestRedis.cleanUp(prefix: prefix) }
        let redis = TestRedis.cache("emb-keys", prefix: prefix)
        let base = try CountingEmbedder()
        let embedder = CachingEmbedder(base: base, redis: redis, ttl: .seconds(60))
        _ = try embedder.embed(["same text"], purpose: .document)
        _ = try embedder.embed(["same text"], purpose: .query)
        #expect(base.textsEmbedded == 2)

        let otherModel = try CountingEmbedder(model: "another-model")
        _ = try CachingEmbedder(base: otherModel, redis: redis, ttl: .seconds(60)).embed(["same text"])
        #expect(otherModel.textsEmbedded == 1)

        let otherDimension = try CountingEmbedder(dimension: 32)
        let vector = try CachingEmbedder(base: otherDimension, redis: redis, ttl: .seconds(60)).embed(["same text"])
        #expect(otherDimension.textsEmbedded == 1)
        #expect(vector[0].count == 32)
    }

    @Test func aDamagedEntryIsAMissAndIsReplaced() throws {
        let prefix = TestRedis.uniquePrefix("emb-damaged")
        defer { TestRedis.cleanUp(prefix: prefix) }
        let base = try CountingEmbedder()
        let embedder = CachingEmbedder(base: base, redis: TestRedis.cache("emb-damaged", prefix: prefix), ttl: .seconds(60))
        let inspector = try TestRedis.inspector()
        let key = embedder.key(for: "text", purpose: .document)
        try inspector.set(key, [1, 2, 3], expiresIn: .seconds(60))
        #expect(try embedder.embed(["text"]) == [base.inner.vector(for: "text")])
        #expect(base.textsEmbedded == 1)
        #expect(try inspector.get(key)?.count == 64 * 4)
        // A stored NaN is not served either.
        try inspector.set(key, [UInt8](repeating: 0xFF, count: 64 * 4), expiresIn: .seconds(60))
        #expect(try embedder.embed(["text"]) == [base.inner.vector(for: "text")])
        #expect(base.textsEmbedded == 2)
    }

    @Test func aDownRedisGoesStraightToTheBaseEmbedderWithoutWaitingEachTime() throws {
        let base = try CountingEmbedder()
        let counter = OutcomeCounter()
        let redis = CacheRedis(url: "redis://127.0.0.1:\(try TestSupport.freePort())", options: .init(retryInterval: .seconds(30)))
        let embedder = CachingEmbedder(base: base, redis: redis, ttl: .seconds(60), onOutcome: counter.record)
        for i in 0..<20 {
            #expect(try embedder.embed(["text \(i)", "common"]) == [base.inner.vector(for: "text \(i)"), base.inner.vector(for: "common")])
        }
        #expect(base.calls.count == 20)
        #expect(counter[.bypassed] == 40)
        #expect(counter[.hit] + counter[.miss] == 0)
        #expect(redis.statistics.connects == 1)
        #expect(redis.statistics.attempts == 1)
        #expect(redis.statistics.skipped == 19)
    }

    @Test func aHungRedisCostsOneCommandTimeoutPerRetryInterval() throws {
        let hung = try BlackHoleListener()
        let base = try CountingEmbedder()
        let options = CacheRedis.Options(connectTimeout: .milliseconds(200), commandTimeout: .milliseconds(200),
                                         retryInterval: .seconds(30))
        let redis = CacheRedis(url: "redis://127.0.0.1:\(hung.port)", options: options)
        let embedder = CachingEmbedder(base: base, redis: redis, ttl: .seconds(60))
        let start = ContinuousClock.now
        for i in 0..<20 {
            _ = try embedder.embed(["text \(i)"], purpose: .query)
        }
        let elapsed = ContinuousClock.now - start
        #expect(base.calls.count == 20)
        #expect(redis.statistics.attempts == 1)
        #expect(redis.lastError?.code == .timeout)
        // One 200 ms timeout in all, not twenty (which would be 4 s).
        #expect(elapsed < .seconds(3))
    }
}
