import Foundation
import RagdCache
import RagdRedis
import RagdTesting
import Testing

@Suite(.timeLimit(.minutes(2)))
struct AnswerCacheTests {
    @Test func missThenHitAndAnotherVersionMisses() throws {
        let prefix = TestRedis.uniquePrefix("answer")
        defer { TestRedis.cleanUp(prefix: prefix) }
        let redis = TestRedis.cache("answer", prefix: prefix)
        let cache = AnswerCache(redis: redis, ttl: .seconds(60))
        let fingerprint = AnswerCache.normalizedQuestion("  What is RAG? ") + "|k=5|model=m1"
        let answer = Array(#"{"answer":"retrieval augmented generation"}"#.utf8)

        let first = cache.lookup(tenant: "acme", version: 7, fingerprint: fingerprint)
        #expect(first.outcome == .miss)
        #expect(first.value == nil)
        #expect(cache.store(tenant: "acme", version: 7, fingerprint: fingerprint, value: answer))

        let second = cache.lookup(tenant: "acme", version: 7, fingerprint: fingerprint)
        #expect(second.outcome == .hit)
        #expect(second.value == answer)

        // The entry has the TTL; its key holds no question text.
        let key = cache.key(tenant: "acme", version: 7, fingerprint: fingerprint)
        #expect(key.hasPrefix(prefix + "answer:"))
        #expect(key.count == prefix.count + "answer:".count + 64)
        let inspector = try TestRedis.inspector()
        let pttl = try #require(try inspector.command(["PTTL", key]).integer)
        #expect(pttl > 0 && pttl <= 60_000)

        // Another tenant, another fingerprint and a newer corpus version miss.
        #expect(cache.lookup(tenant: "globex", version: 7, fingerprint: fingerprint).outcome == .miss)
        #expect(cache.lookup(tenant: "acme", version: 7, fingerprint: fingerprint + "|k=6").outcome == .miss)
        #expect(cache.lookup(tenant: "acme", version: 8, fingerprint: fingerprint).outcome == .miss)
        // Fields cannot run into each other: ("ab", "c") and ("a", "bc") are different keys.
        #expect(cache.key(tenant: "ab", version: 1, fingerprint: "c") != cache.key(tenant: "a", version: 1, fingerprint: "bc"))
    }

    @Test func aZeroTTLStoresNothing() throws {
        let prefix = TestRedis.uniquePrefix("answer-ttl")
        defer { TestRedis.cleanUp(prefix: prefix) }
        let cache = AnswerCache(redis: TestRedis.cache("answer-ttl", prefix: prefix), ttl: .zero)
        #expect(!cache.store(tenant: "t", version: 1, fingerprint: "q", value: [1]))
        #expect(cache.lookup(tenant: "t", version: 1, fingerprint: "q").outcome == .miss)
    }

    @Test func aDownRedisBypassesTheCache() throws {
        let redis = CacheRedis(url: "redis://127.0.0.1:\(try TestSupport.freePort())")
        let cache = AnswerCache(redis: redis, ttl: .seconds(60))
        let result = cache.lookup(tenant: "acme", version: 1, fingerprint: "q")
        #expect(result.outcome == .bypassed)
        #expect(result.value == nil)
        #expect(!cache.store(tenant: "acme", version: 1, fingerprint: "q", value: [1]))
        #expect(redis.statistics.attempts == 1)
    }

    @Test func questionsAreNormalized() {
        let n = AnswerCache.normalizedQuestion
        #expect(n("  What   is\tRAG?\n") == "what is rag?")
        #expect(n("What is RAG?") == n("what  is rag?  "))
        #expect(n("") == "")
        #expect(n(" \t\n ") == "")
        // Unicode white space (no-break, ideographic, line separator) collapses too.
        #expect(n("a\u{00A0}\u{3000}b\u{2028}c") == "a b c")
        // Unicode-aware lower-casing.
        #expect(n("ÉCOLE Über ΣΟΦΙΑ") == "école über σοφια")
        #expect(n("Straße") == "straße")
        // NFC: a decomposed and a precomposed é give the same bytes.
        let decomposed = n("Cafe\u{301}")
        let precomposed = n("Café")
        #expect(Array(decomposed.utf8) == Array(precomposed.utf8))
        #expect(Array(decomposed.unicodeScalars) == ["c", "a", "f", "\u{E9}"])
        #expect(Array(n("E\u{301}").unicodeScalars) == ["\u{E9}"])
        // Text in scripts without case is kept.
        #expect(n("  什么是 RAG ？") == "什么是 rag ？")
    }
}
