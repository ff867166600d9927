import Foundation
import RagdFastCGI
import RagdTesting
import Testing

/// `/health`, `/health/ready` and the problem responses, through nginx over HTTPS.
@Suite(.serialized)
struct ProbeTests {
    @Test func healthAnswersJSONWithRequestID() throws {
        let server = try LiveServer()
        defer { server.stop() }
        try server.start()

        let response = try server.get("/health")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        let json = try #require(response.json)
        #expect(json["status"] as? String == "healthy")
        let timestamp = try #require(json["timestamp"] as? String)
        #expect(timestamp.hasSuffix("Z"))
        #expect(ISO8601DateFormatter.withFractions.date(from: timestamp) != nil)
        let generated = try #require(response.headers["x-request-id"])
        #expect(generated.count == 32)

        let echoed = try server.get("/health", headers: ["X-Request-ID": "client-id-123"])
        #expect(echoed.headers["x-request-id"] == "client-id-123")
        // ragd logs the same id for that request.
        #expect(eventually(timeout: 5) {
            server.ragd!.logLines.contains { $0["request_id"] as? String == "client-id-123" && $0["route"] as? String == "/health" }
        })
    }

    @Test func unknownPathAndWrongMethodAreProblems() throws {
        let server = try LiveServer()
        defer { server.stop() }
        try server.start()

        let missing = try server.get("/v1/nothing-here")
        #expect(missing.status == 404)
        #expect(missing.headers["content-type"] == "application/problem+json")
        #expect(missing.json?["status"] as? Int == 404)
        #expect(missing.json?["request_id"] as? String == missing.headers["x-request-id"])

        let wrongMethod = try server.get("/health", method: "DELETE")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "GET, HEAD")
        #expect(wrongMethod.headers["content-type"] == "application/problem+json")
    }

    @Test func readinessFollowsRedis() throws {
        // A Redis of this test's own, so stopping it disturbs nobody else.
        let port = try TestSupport.freePort()
        let dir = NSTemporaryDirectory() + "ragd-redis-\(port)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        func startRedis() throws -> ChildProcess {
            try ChildProcess("/usr/bin/redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                                      "--dir", dir], environment: [:], logPath: dir + "/redis.log")
        }
        var redis = try startRedis()
        defer { redis.stop() }
        let server = try LiveServer(["REDIS_URL": "redis://127.0.0.1:\(port)/0"])
        defer { server.stop() }
        try server.start()

        var ready = try server.get("/health/ready")
        #expect(ready.status == 200, "\(ready.body)")
        #expect(ready.json?["status"] as? String == "ready")
        let checks = try #require(ready.json?["checks"] as? [String: String])
        #expect(checks == ["database": "ok", "redis": "ok", "vector_store": "ok"])

        redis.stop(signal: SIGKILL)
        // A worker answers from its last round for up to a second (probe storms cost one
        // round a second): the failure shows within about that, and each probe stays bounded.
        var slowest = 0.0
        #expect(eventually(timeout: 10) {
            let started = Date()
            ready = (try? server.get("/health/ready")) ?? ready
            slowest = max(slowest, Date().timeIntervalSince(started))
            return ready.status == 503
        })
        #expect(slowest < 5, "readiness must stay bounded while a dependency is down")
        #expect(ready.status == 503)
        #expect(ready.json?["status"] as? String == "not_ready")
        let failing = try #require(ready.json?["checks"] as? [String: String])
        #expect(failing["redis"]?.hasPrefix("error:") == true)
        #expect(failing["database"] == "ok")
        #expect(!ready.body.contains("live-test-secret"), "no secret in probe output")
        #expect(failing["redis"] == "error: unavailable", "the public answer names no host or port: \(ready.body)")
        #expect(!ready.body.contains(String(port)))
        #expect(eventually(timeout: 5) {
            server.ragd?.logLines.contains { $0["msg"] as? String == "readiness check failed" && $0["check"] as? String == "redis"
                && ($0["error"] as? String)?.isEmpty == false } == true
        }, "the cause goes to the log:\n\(server.ragd?.log ?? "")")

        redis = try startRedis()
        #expect(eventually(timeout: 10) { (try? server.get("/health/ready"))?.status == 200 },
                "ready again once Redis is back, without restarting ragd")
    }

    @Test func probeCommandTalksFastCGI() throws {
        let server = try LiveServer()
        defer { server.stop() }
        try server.startRagd()
        #expect(eventually(timeout: 10) {
            (try? run(Paths.ragdBinary, ["probe", "--listen", server.socketPath]))?.status == 0
        })
        let missing = try run(Paths.ragdBinary, ["probe", "--listen", server.socketPath, "--path", "/nope"])
        #expect(missing.status == 1)
        #expect(missing.output.contains("404"))
        let nobody = try run(Paths.ragdBinary, ["probe", "--listen", server.directory + "/absent.sock"])
        #expect(nobody.status == 1)
    }

    /// nginx refuses a malformed Content-Length itself, but any FastCGI client can announce
    /// one: it is a 400 from the worker, which goes on serving (a negative length used to
    /// size the body buffer and crash the worker).
    @Test func malformedContentLengthIsABadRequestNotACrash() throws {
        let server = try LiveServer()
        defer { server.stop() }
        try server.startRagd()
        let workers = try #require(server.waitForWorkers(2))
        let client = FastCGIClient(address: .unix(path: server.socketPath))
        #expect(eventually(timeout: 10) { (try? client.send(uri: "/health"))?.status == 200 })
        for length in ["-5", "12abc", "99999999999999999999999"] {
            let refused = try client.send(method: "POST", uri: "/v1/search", params: ["CONTENT_LENGTH": length])
            #expect(refused.status == 400, "CONTENT_LENGTH \(length)")
            #expect(String(decoding: refused.body, as: UTF8.self).contains("CONTENT_LENGTH is not a byte count"))
        }
        let healthy = try client.send(uri: "/health", params: ["CONTENT_LENGTH": ""])
        #expect(healthy.status == 200, "an empty CONTENT_LENGTH (nginx's for a GET) is no body")
        #expect(server.waitForWorkers(2) == workers, "no worker died and was replaced")
    }
}

extension ISO8601DateFormatter {
    static let withFractions: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}
