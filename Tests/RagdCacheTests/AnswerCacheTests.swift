import Foundation
import RagdCache
import RagdRedis
import RagdTesting
import Testing

@Suite(.timeLimit(.minutes(2)))
struct AnswerCacheTests {
    @Test func missThenHitAndABumpHidesOldAnswers() throws {
        let prefix = TestRedis.uniquePrefix("answer")
        defer { TestRedis.cleanUp(prefix: prefix) }
        let redis = TestRedis.cache("answer", prefix: prefix)
        let cache = AnswerCache(redis: redis, ttl: .seconds(60))
        let versions = CorpusVersions(redis: redis)
        let fingerprint = AnswerCache.normalizedQuestion("  What is RAG? ") + "|k=5|model=m1"
        let answer = Array(#"{"answer":"retrieval augmented generation"}"#.utf8)

        let first = cache.lookup(tenant: "acme", fingerprint: fingerprint)
        #expect(first.outcome == .miss)
        #expect(first.value == nil)
        let version = try #require(first.version)
        #expect(cache.store(tenant: "acme", version: version, fingerprint: fingerprint, value: answer))

        let second = cache.lookup(tenant: "acme", fingerprint: fingerprint)
        #expect(second.outcome == .hit)
        #expect(second.value == answer)
        #expect(second.version == version)

        // The entry has the TTL; its key holds no question text.
        let key = cache.key(tenant: "acme", version: version, fingerprint: fingerprint)
        #expect(key.hasPrefix(prefix + "answer:"))
        #expect(key.count == prefix.count + "answer:".count + 64)
        let inspector = try TestRedis.inspector()
        let pttl = try #require(try inspector.command(["PTTL", key]).integer)
        #expect(pttl > 0 && pttl <= 60_000)

        // Another tenant and another fingerprint miss.
        #expect(cache.lookup(tenant: "globex", fingerprint: fingerprint).outcome == .miss)
        #expect(cache.lookup(tenant: "acme", fingerprint: fingerprint + "|k=6").outcome == .miss)

        // After an ingest bumps the version the old entry is not served, though it still exists.
        #expect(versions.bump(tenant: "acme"))
        let third = cache.lookup(tenant: "acme", fingerprint: fingerprint)
        #expect(third.outcome == .miss)
        #expect(third.value == nil)
        #expect(third.version == version + 1)
        #expect(try inspector.get(key) == answer)
        // The other tenant's version did not move.
        #expect(versions.current(tenant: "globex") == cache.lookup(tenant: "globex", fingerprint: "x").version)
    }

    @Test func anAnswerComputedDuringABumpIsStoredUnderTheOldVersion() throws {
        let prefix = TestRedis.uniquePrefix("answer-race")
        defer { TestRedis.cleanUp(prefix: prefix) }
        let redis = TestRedis.cache("answer-race", prefix: prefix)
        let cache = AnswerCache(redis: redis, ttl: .seconds(60))
        let looked = cache.lookup(tenant: "t", fingerprint: "q")
        #expect(CorpusVersions(redis: redis).bump(tenant: "t")) // an ingest finishes meanwhile
        cache.store(tenant: "t", version: looked.version, fingerprint: "q", value: [1, 2, 3])
        #expect(cache.lookup(tenant: "t", fingerprint: "q").outcome == .miss)
        // Without a known version nothing is stored.
        #expect(!cache.store(tenant: "t", version: nil, fingerprint: "q", value: [1]))
    }

    @Test func corpusVersionsStartFromRedisTimeAndNeverRepeatAfterLoss() throws {
        let prefix = TestRedis.uniquePrefix("versions")
        defer { TestRedis.cleanUp(prefix: prefix) }
        let redis = TestRedis.cache("versions", prefix: prefix)
        let versions = CorpusVersions(redis: redis)
        let start = try #require(versions.current(tenant: "acme"))
        #expect(start > 1_600_000_000_000_000) // microseconds since the epoch
        #expect(versions.current(tenant: "acme") == start)
        #expect(versions.bump(tenant: "acme"))
        #expect(versions.bump(tenant: "acme"))
        #expect(versions.current(tenant: "acme") == start + 2)

        // The key is keyed by a digest of the tenant and has no TTL.
        let inspector = try TestRedis.inspector()
        guard case .array(let found) = try inspector.command(["SCAN", "0", "MATCH", prefix + "corpus:*", "COUNT", "1000"])
            .throwIfError(), found.count == 2, case .array(let keys) = found[1] else {
            Issue.record("unexpected SCAN answer")
            return
        }
        let names = keys.compactMap(\.text)
        #expect(names.count == 1)
        #expect(names.allSatisfy { !$0.contains("acme") })
        #expect(try inspector.command(["PTTL", names[0]]) == .integer(-1))

        // Lost key (eviction, flush): the new version is above every old one.
        try inspector.delete(names)
        let restarted = try #require(versions.current(tenant: "acme"))
        #expect(restarted > start + 2)
        try inspector.delete(names)
        #expect(versions.bump(tenant: "acme"))
        #expect(try #require(versions.current(tenant: "acme")) > start + 2)
    }

    @Test func aDownRedisBypassesTheCache() {
        let redis = CacheRedis(url: "redis://127.0.0.1:\(freePort())")
        let cache = AnswerCache(redis: redis, ttl: .seconds(60))
        let result = cache.lookup(tenant: "acme", fingerprint: "q")
        #expect(result.outcome == .bypassed)
        #expect(result.value == nil)
        #expect(result.version == nil)
        #expect(!cache.store(tenant: "acme", version: 7, fingerprint: "q", value: [1]))
        #expect(!CorpusVersions(redis: redis).bump(tenant: "acme"))
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
