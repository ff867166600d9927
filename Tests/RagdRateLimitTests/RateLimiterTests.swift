import Foundation
import RagdCache
import RagdRateLimit
import RagdRedis
import RagdTesting
import Testing

@Suite(.timeLimit(.minutes(2)))
struct RateLimiterTests {
    @Test func aBurstGetsExactlyTheLimitThenIsRefused() throws {
        let prefix = TestRedis.uniquePrefix("rl-burst")
        defer { TestRedis.cleanUp(prefix: prefix) }
        // Per hour, so nothing refills while the test runs.
        let limiter = RateLimiter(redis: TestRedis.cache("rl-burst", prefix: prefix), limit: 10, period: .seconds(3600),
                                  failOpen: true)
        for expectedRemaining in (0..<10).reversed() {
            let decision = limiter.admit(subject: "client-1")
            #expect(decision.allowed)
            #expect(decision.remaining == expectedRemaining)
            #expect(decision.limit == 10)
            #expect(decision.retryAfterSeconds == nil)
            #expect(!decision.failedOpen && !decision.unavailable)
            #expect(decision.resetSeconds > 0 && decision.resetSeconds <= 3600)
        }
        let refused = limiter.admit(subject: "client-1")
        #expect(!refused.allowed)
        #expect(refused.remaining == 0)
        #expect(!refused.unavailable && !refused.failedOpen)
        // One request comes back every 360 s.
        let retry = try #require(refused.retryAfterSeconds)
        #expect(retry >= 1 && retry <= 360)
        #expect(refused.resetSeconds > 3500 && refused.resetSeconds <= 3600)
        #expect(!limiter.admit(subject: "client-1").allowed)

        // Another subject has its own budget; keys hold digests, not subjects.
        #expect(limiter.admit(subject: "client-2").allowed)
        let inspector = try TestRedis.inspector()
        guard case .array(let found) = try inspector.command(["SCAN", "0", "MATCH", prefix + "*", "COUNT", "1000"])
            .throwIfError(), found.count == 2, case .array(let keys) = found[1] else {
            Issue.record("unexpected SCAN answer")
            return
        }
        let names = keys.compactMap(\.text)
        #expect(names.count == 2)
        #expect(names.allSatisfy { $0.hasPrefix(prefix + "rl:") && $0.count == prefix.count + 3 + 64 && !$0.contains("client") })
        for name in names {
            let pttl = try #require(try inspector.command(["PTTL", name]).integer)
            #expect(pttl > 0 && pttl <= 3_600_000)
        }
    }

    @Test func perMinuteLimitAdmitsTheLimitInABurst() {
        let prefix = TestRedis.uniquePrefix("rl-minute")
        defer { TestRedis.cleanUp(prefix: prefix) }
        let limiter = RateLimiter(redis: TestRedis.cache("rl-minute", prefix: prefix), limitPerMinute: 60, failOpen: false)
        let start = ContinuousClock.now
        let allowed = (0..<80).filter { _ in limiter.admit(subject: "ip:203.0.113.9").allowed }.count
        let elapsed = ContinuousClock.now - start
        // One request refills per second; anything beyond that is an over-admission.
        let refills = Int((elapsed / .seconds(1)).rounded(.up))
        #expect(allowed >= 60 && allowed <= 60 + refills)
        #expect(limiter.period == .seconds(60))
    }

    @Test func twoLimitersOnTwoConnectionsShareOneBudget() {
        let prefix = TestRedis.uniquePrefix("rl-shared")
        defer { TestRedis.cleanUp(prefix: prefix) }
        let a = RateLimiter(redis: TestRedis.cache("rl-shared", prefix: prefix), limit: 6, period: .seconds(3600), failOpen: true)
        let b = RateLimiter(redis: TestRedis.cache("rl-shared", prefix: prefix), limit: 6, period: .seconds(3600), failOpen: true)
        var allowed = 0
        for i in 0..<10 where (i % 2 == 0 ? a : b).admit(subject: "tenant-token").allowed {
            allowed += 1
        }
        #expect(allowed == 6)
        #expect(!a.admit(subject: "tenant-token").allowed)
        #expect(!b.admit(subject: "tenant-token").allowed)
    }

    @Test func concurrentAdmitsNeverOverAdmit() {
        let prefix = TestRedis.uniquePrefix("rl-concurrent")
        defer { TestRedis.cleanUp(prefix: prefix) }
        let lock = NSLock()
        var allowed = 0
        var unavailable = 0
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            // Each thread owns its connection, as a worker thread does.
            let limiter = RateLimiter(redis: TestRedis.cache("rl-concurrent", prefix: prefix), limit: 60,
                                      period: .seconds(3600), failOpen: true)
            var mine = 0
            var down = 0
            for _ in 0..<50 {
                let decision = limiter.admit(subject: "busy-client")
                if decision.unavailable { down += 1 } else if decision.allowed { mine += 1 }
            }
            lock.lock()
            allowed += mine
            unavailable += down
            lock.unlock()
        }
        #expect(unavailable == 0)
        #expect(allowed == 60)
    }

    @Test func theBudgetRefillsOverTime() {
        let prefix = TestRedis.uniquePrefix("rl-refill")
        defer { TestRedis.cleanUp(prefix: prefix) }
        // 2 per second: one request back every 500 ms.
        let limiter = RateLimiter(redis: TestRedis.cache("rl-refill", prefix: prefix), limit: 2, period: .seconds(1),
                                  failOpen: false)
        #expect(limiter.admit(subject: "s").allowed)
        #expect(limiter.admit(subject: "s").allowed)
        let refused = limiter.admit(subject: "s")
        #expect(!refused.allowed)
        #expect(refused.retryAfterSeconds == 1)
        #expect(eventually(timeout: 3) { limiter.admit(subject: "s").allowed })
    }

    @Test func aDownRedisFollowsTheFailOpenFlag() throws {
        let url = "redis://127.0.0.1:\(try TestSupport.freePort())"
        let open = RateLimiter(redis: CacheRedis(url: url), limitPerMinute: 5, failOpen: true)
        for _ in 0..<10 {
            let decision = open.admit(subject: "x")
            #expect(decision.allowed && decision.failedOpen && decision.unavailable)
            #expect(decision.retryAfterSeconds == nil)
        }
        let closedRedis = CacheRedis(url: url)
        let closed = RateLimiter(redis: closedRedis, limitPerMinute: 5, failOpen: false)
        for _ in 0..<10 {
            let decision = closed.admit(subject: "x")
            #expect(!decision.allowed && !decision.failedOpen && decision.unavailable)
            #expect(decision.retryAfterSeconds == 1)
        }
        #expect(closedRedis.statistics.attempts == 1)
    }

    @Test func countingResumesWhenRedisComesBack() throws {
        let server = try ThrowawayRedis()
        let redis = CacheRedis(url: server.url, options: .init(retryInterval: .milliseconds(100)))
        let limiter = RateLimiter(redis: redis, limit: 3, period: .seconds(3600), failOpen: false)
        #expect(limiter.admit(subject: "s").allowed)

        server.stop()
        let down = limiter.admit(subject: "s")
        #expect(!down.allowed && down.unavailable)

        // A fresh server: empty, and without the script cached (EVALSHA gets NOSCRIPT, EVAL follows).
        try server.start()
        var decision = limiter.admit(subject: "s")
        #expect(eventually(timeout: 5) {
            decision = limiter.admit(subject: "s")
            return !decision.unavailable
        })
        #expect(decision.allowed)
        #expect(decision.remaining == 2)
        #expect(limiter.admit(subject: "s").allowed)
        #expect(limiter.admit(subject: "s").allowed)
        #expect(!limiter.admit(subject: "s").allowed)
    }
}
