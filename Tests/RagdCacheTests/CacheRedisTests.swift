import Foundation
import RagdCache
import RagdRedis
import RagdTesting
import Testing

@Suite(.timeLimit(.minutes(2)))
struct CacheRedisTests {
    @Test func anUnusableURLIsReportedAndEveryCallIsSkipped() {
        let redis = CacheRedis(url: "rediss://:Secret-77@cache:6380")
        #expect(redis.configurationError?.code == .unsupported)
        #expect(!redis.isAvailable)
        #expect(redis.run { connection throws(RedisError) in try connection.ping() } == nil)
        #expect(redis.statistics.skipped == 1)
        #expect(redis.statistics.attempts == 0)
    }

    @Test func aDownRedisCostsOneAttemptPerRetryInterval() throws {
        let port = try TestSupport.freePort()
        let redis = CacheRedis(url: "redis://127.0.0.1:\(port)", options: .init(retryInterval: .milliseconds(300)))
        var changes: [Bool] = []
        redis.onAvailabilityChange = { available, _ in changes.append(available) }
        #expect(redis.isAvailable)
        for _ in 0..<20 {
            #expect(redis.run { connection throws(RedisError) in try connection.get("x") } == nil)
        }
        // Only the first call tried to connect; the other 19 were answered from the skip window.
        #expect(redis.statistics.attempts == 1)
        #expect(redis.statistics.connects == 1)
        #expect(redis.statistics.failures == 1)
        #expect(redis.statistics.skipped == 19)
        #expect(!redis.isAvailable)
        #expect(redis.lastError?.code == .connection)
        #expect(changes == [false])

        // Once the window has passed, the next call tries again (and fails again).
        #expect(eventually(timeout: 3) { redis.isAvailable })
        #expect(redis.run { connection throws(RedisError) in try connection.get("x") } == nil)
        #expect(redis.statistics.attempts == 2)
        #expect(changes == [false])
    }

    @Test func anErrorReplyFailsOnlyThatCall() throws {
        let prefix = TestRedis.uniquePrefix("error-reply")
        let redis = TestRedis.cache("error-reply", prefix: prefix)
        defer { TestRedis.cleanUp(prefix: prefix) }
        let result = redis.run { connection throws(RedisError) in
            try connection.eval("return redis.error_reply('ERR made up')")
        }
        #expect(result == nil)
        #expect(redis.isAvailable)
        #expect(redis.statistics.errorReplies == 1)
        #expect(redis.statistics.failures == 0)
        #expect(redis.lastError?.code == .reply)
        #expect(redis.run { connection throws(RedisError) in try connection.ping() } != nil)
    }

    @Test func redisGoingAwayAndComingBack() throws {
        let server = try ThrowawayRedis()
        let redis = CacheRedis(url: server.url, options: .init(retryInterval: .milliseconds(100)))
        var changes: [Bool] = []
        redis.onAvailabilityChange = { available, _ in changes.append(available) }
        #expect(redis.run { connection throws(RedisError) in try connection.set("k", "v") } != nil)

        server.stop()
        #expect(redis.run { connection throws(RedisError) in try connection.get("k") } == nil)
        #expect(!redis.isAvailable)
        #expect(changes == [false])

        try server.start()
        let back = eventually(timeout: 5) {
            redis.run { connection throws(RedisError) in try connection.set("k", "again") } != nil
        }
        #expect(back)
        #expect(changes == [false, true])
        #expect(redis.run { connection throws(RedisError) in try connection.get("k") } == .some(Array("again".utf8)))
    }
}
