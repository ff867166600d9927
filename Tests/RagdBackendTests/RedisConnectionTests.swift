import RagdTesting
import Testing
import RagdRedis

/// Live tests against throwaway `redis-server` processes (one per test).
@Suite(.timeLimit(.minutes(2)))
struct RedisConnectionTests {
    @Test func pingSetGetAreBinarySafe() throws {
        let server = try ThrowawayRedis()
        let redis = try RedisConnection(url: "redis://127.0.0.1:\(server.port)")
        try redis.ping()

        let key = "key with spaces\r\nand a newline"
        let value: [UInt8] = Array(0...255) + Array("\r\n$3\r\nSET\r\n".utf8)
        try redis.set(key, value)
        #expect(try redis.get(key) == value)
        #expect(try redis.get("missing-key") == nil)
        #expect(try redis.command(["ECHO".utf8.map { $0 }, [0, 13, 10, 0]]) == .string([0, 13, 10, 0]))
        #expect(try redis.command(["EXISTS", key]) == .integer(1))
        // The odd key was stored as one key, not parsed as extra commands.
        #expect(try redis.command(["DBSIZE"]) == .integer(1))

        #expect(try redis.increment("counter") == 1)
        #expect(try redis.increment("counter", by: 41) == 42)
        #expect(try redis.expire("counter", after: .seconds(60)))
        #expect(try redis.command(["PTTL", "counter"]).integer.map { $0 > 0 && $0 <= 60_000 } == true)
        #expect(try redis.delete(["counter", key]) == 2)

        try redis.set("short-lived", "v", expiresIn: .milliseconds(1500))
        #expect(try redis.command(["PTTL", "short-lived"]).integer.map { $0 > 0 && $0 <= 1500 } == true)

        let array = try redis.command(["MGET", "short-lived", "nothing"])
        #expect(array == .array([.string(Array("v".utf8)), .null]))
    }

    @Test func errorRepliesAreValuesAndHelpersThrow() throws {
        let server = try ThrowawayRedis()
        let redis = try RedisConnection(url: "redis://127.0.0.1:\(server.port)")
        try redis.set("text", "not a number")
        let reply = try redis.command(["INCR", "text"])
        guard case .error(let message) = reply else {
            Issue.record("expected an error reply, got \(reply)")
            return
        }
        #expect(message.hasPrefix("ERR"))
        #expect(throws: RedisError.self) { try redis.increment("text") }
        // The connection stays usable after an error reply.
        try redis.ping()
    }

    @Test func authAndDatabaseSelectionFromTheURL() throws {
        let password = "Redis-Secret-9911"
        let server = try ThrowawayRedis(password: password)
        let db2 = try RedisConnection(url: "redis://:\(password)@127.0.0.1:\(server.port)/2")
        try db2.set("where", "db2")
        let db0 = try RedisConnection(url: "redis://default:\(password)@127.0.0.1:\(server.port)")
        #expect(try db0.get("where") == nil)
        #expect(try db0.command(["SELECT", "2"]) == .status("OK"))
        #expect(try db0.get("where") == Array("db2".utf8))

        let wrong = "Wrong-Secret-1234"
        let refused = try RedisConnection(url: "redis://:\(wrong)@127.0.0.1:\(server.port)")
        do {
            try refused.ping()
            Issue.record("expected AUTH to fail")
        } catch {
            #expect(error.code == .authentication)
            #expect(!error.description.contains(wrong))
        }
        let noPassword = try RedisConnection(url: "redis://127.0.0.1:\(server.port)")
        let unauthenticated = try noPassword.command(["GET", "x"])
        #expect(unauthenticated.isError(prefix: "NOAUTH"))
    }

    @Test func reconnectsAfterTheServerRestarts() throws {
        let server = try ThrowawayRedis()
        let redis = try RedisConnection(url: "redis://127.0.0.1:\(server.port)")
        try redis.set("before", "restart")

        server.stop()
        try server.start()
        // The first call after the restart succeeds on a fresh connection.
        try redis.ping()
        #expect(try redis.get("before") == nil) // persistence is off: a new, empty server

        // While the server is down calls fail with a clear error, then work again.
        server.stop()
        do {
            try redis.ping()
            Issue.record("expected a connection error")
        } catch {
            #expect(error.code == .connection)
            #expect(error.message.contains("127.0.0.1:\(server.port)"))
        }
        try server.start()
        try redis.set("after", "restart")
        #expect(try redis.get("after") == Array("restart".utf8))
    }

    @Test func serverDownGivesAClearErrorWithoutThePassword() throws {
        let port = try TestSupport.freePort()
        let password = "Down-Secret-4242"
        let redis = try RedisConnection(url: "redis://:\(password)@127.0.0.1:\(port)/1")
        let start = ContinuousClock.now
        do {
            try redis.ping()
            Issue.record("expected a connection error")
        } catch {
            #expect(error.code == .connection)
            #expect(error.message.contains("cannot connect to 127.0.0.1:\(port)"))
            #expect(!error.description.contains(password))
        }
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test func commandTimeoutIsBoundedWhenTheServerNeverAnswers() throws {
        let hole = try BlackHoleListener()
        let options = RedisConnection.Options(connectTimeout: .milliseconds(500), commandTimeout: .milliseconds(300))
        let redis = try RedisConnection(url: "redis://127.0.0.1:\(hole.port)", options: options)
        var start = ContinuousClock.now
        do {
            _ = try redis.command(["GET", "x"])
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timeout)
        }
        var elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(250) && elapsed < .milliseconds(1000))

        start = ContinuousClock.now
        do {
            try redis.ping(timeout: .milliseconds(150))
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .timeout)
        }
        elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(100) && elapsed < .milliseconds(800))
    }

    @Test func mgetAndScriptsTakeKeysAndArgumentsAsArgv() throws {
        let server = try ThrowawayRedis()
        let redis = try RedisConnection(url: "redis://127.0.0.1:\(server.port)")
        let binary: [UInt8] = [0, 13, 10, 255]
        try redis.set("a", binary)
        try redis.command(["HSET", "hash", "f", "v"]).throwIfError()
        #expect(try redis.mget(["a", "missing", "hash", "a"]) == [binary, nil, nil, binary])

        // KEYS and ARGV arrive as separate values, whatever bytes they hold.
        let script = "redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], ARGV[1], #KEYS, #ARGV}"
        let odd = "key\r\n*1\r\n$4\r\nPING"
        let reply = try redis.eval(script, keys: [odd], arguments: [binary])
        #expect(reply == .array([.string(Array(odd.utf8)), .string(binary), .integer(1), .integer(1)]))
        #expect(try redis.get(odd) == binary)
        #expect(try redis.command(["DBSIZE"]) == .integer(3))

        // EVALSHA: NOSCRIPT until the script is known (EVAL caches it), then the same reply.
        let source = "return ARGV[1] .. ':' .. KEYS[1]"
        let sha1 = try #require(try redis.command(["SCRIPT", "LOAD", source]).text)
        try redis.command(["SCRIPT", "FLUSH"]).throwIfError()
        do {
            _ = try redis.evalSHA(sha1, keys: ["k"], arguments: [Array("v".utf8)])
            Issue.record("expected NOSCRIPT")
        } catch {
            #expect(error.code == .reply)
            #expect(error.message.hasPrefix("NOSCRIPT"))
        }
        #expect(try redis.eval(source, keys: ["k"], arguments: [Array("v".utf8)]) == .string(Array("v:k".utf8)))
        #expect(try redis.evalSHA(sha1, keys: ["k"], arguments: [Array("v".utf8)]) == .string(Array("v:k".utf8)))

        // A script error is thrown as a reply error and leaves the connection usable.
        #expect(throws: RedisError.self) { try redis.eval("return redis.call('INCR', KEYS[1])", keys: ["hash"]) }
        try redis.ping()
    }

    @Test func urlsAreCheckedWithoutEchoingThem() throws {
        func code(_ url: String) -> RedisError.Code? {
            do {
                try RedisConnection.validate(url: url)
                return nil
            } catch {
                #expect(!error.description.contains("UrlSecret"))
                return error.code
            }
        }
        #expect(code("redis://:UrlSecret@127.0.0.1:6379/0") == nil)
        #expect(code("redis://[::1]:6380") == nil)
        #expect(code("redis://localhost") == nil)
        #expect(code("rediss://:UrlSecret@cache:6380") == .unsupported)
        #expect(code("redis://:UrlSecret@host:99999") == .invalidURL)
        #expect(code("redis://:UrlSecret@host:6379/notanumber") == .invalidURL)
        #expect(code("redis://:Url%zzSecret@host") == .invalidURL)
        #expect(code("http://:UrlSecret@host") == .invalidURL)
        #expect(code("redis://UrlSecret@host") == .invalidURL)
    }
}

extension RedisReply {
    func isError(prefix: String) -> Bool {
        if case .error(let message) = self { return message.hasPrefix(prefix) }
        return false
    }
}
