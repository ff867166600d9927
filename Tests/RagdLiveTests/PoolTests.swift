import Foundation
import RagdTesting
import Testing

/// The preforked pool driven by signals, as gunicorn's and puma's integration tests do:
/// real processes, real nginx, assertions on pids, logs and responses.
@Suite(.serialized)
struct PoolTests {
    @Test func killedWorkerIsReplacedWithinASecond() throws {
        let server = try LiveServer()
        defer { server.stop() }
        try server.start()
        let before = try #require(server.waitForWorkers(2))

        let victim = before.first!
        kill(victim, SIGKILL)
        let killedAt = Date()
        var after: Set<Int32> = []
        #expect(eventually(timeout: 1) {
            after = childPIDs(of: server.ragd!.pid)
            return after.count == 2 && !after.contains(victim)
        }, "a new worker within a second")
        #expect(Date().timeIntervalSince(killedAt) < 1.0)
        for _ in 0..<20 {
            #expect(try server.get("/health").status == 200)
        }
    }

    @Test func reloadUnderLoadLosesNothingAndReplacesEveryWorker() throws {
        let server = try LiveServer(["WORKERS": "2", "THREADS": "4"])
        defer { server.stop() }
        try server.start()
        let before = try #require(server.waitForWorkers(2))

        let load = try ChildProcess("/usr/bin/python3", [Paths.testTool("loadloop.py"), server.baseURL + "/health",
                                                         "--connections", "6", "--requests", "4000"],
                                    logPath: server.directory + "/load.json", errorLogPath: server.directory + "/load.log")
        // HUP while the loop runs, twice, so both reloads overlap live traffic.
        #expect(eventually(timeout: 10) { server.ragd!.logLines.filter { $0["msg"] as? String == "request" }.count > 200 })
        server.ragd!.signal(SIGHUP)
        #expect(eventually(timeout: 10) { server.ragd!.logLines.filter { $0["msg"] as? String == "request" }.count > 1500 })
        server.ragd!.signal(SIGHUP)
        #expect(load.waitForExit(timeout: 300) == 0, "\((try? String(contentsOfFile: server.directory + "/load.log", encoding: .utf8)) ?? "")")

        let report = try #require(try JSONSerialization.jsonObject(with: Data(load.log.utf8)) as? [String: Any])
        #expect(report["failed"] as? Int == 0, "\(report)")
        #expect(report["ok"] as? Int == 4000, "\(report)")
        let after = try #require(server.waitForWorkers(2))
        #expect(after.isDisjoint(with: before), "every worker replaced: before \(before), after \(after)")
        #expect(server.ragd!.logLines.filter { $0["reason"] as? String == "reload" }.count >= 2)
    }

    @Test func gracefulStopFinishesTheRequestInFlight() throws {
        let server = try LiveServer(["GRACEFUL_TIMEOUT": "20"])
        defer { server.stop() }
        try server.start()

        let slow = Thread.detachedResult { try server.get("/_test/sleep?seconds=3", timeout: 30) }
        // Wait until the slow request is really inside a worker before stopping.
        #expect(eventually(timeout: 5) { server.ragd!.logLines.contains { $0["msg"] as? String == "test sleep started" } })
        server.ragd!.signal(SIGTERM)
        let status = server.ragd!.waitForExit(timeout: 25)
        #expect(status == 0, "master exits 0 after a graceful stop")
        let result = try slow.value()
        #expect(result.status == 200, "the in-flight request completes: \(result.body)")
        #expect(result.json?["slept"] as? Double == 3)
        #expect(!FileManager.default.fileExists(atPath: server.socketPath), "the socket file is removed")
    }

    @Test func ttinAndTtouChangeTheWorkerCount() throws {
        let server = try LiveServer(["WORKERS": "2"])
        defer { server.stop() }
        try server.start()
        #expect(server.waitForWorkers(2) != nil)
        server.ragd!.signal(SIGTTIN)
        #expect(server.waitForWorkers(3) != nil)
        server.ragd!.signal(SIGTTOU)
        #expect(server.waitForWorkers(2) != nil)
        server.ragd!.signal(SIGTTOU)
        #expect(server.waitForWorkers(1) != nil)
        server.ragd!.signal(SIGTTOU)
        usleep(500_000)
        #expect(server.waitForWorkers(1) != nil, "never below one worker")
        #expect(try server.get("/health").status == 200)
    }

    @Test func requestTimeoutKillsAndReplacesTheWorker() throws {
        let server = try LiveServer(["REQUEST_TIMEOUT": "2", "WORKERS": "1"])
        defer { server.stop() }
        try server.start()
        let before = try #require(server.waitForWorkers(1))

        let started = Date()
        let response = try server.get("/_test/sleep?seconds=60", headers: ["X-Request-ID": "hung-request-1"], timeout: 30)
        let elapsed = Date().timeIntervalSince(started)
        #expect([502, 504].contains(response.status), "nginx answers for the killed worker: \(response.status)")
        #expect(response.headers["content-type"]?.contains("json") == true)
        #expect(elapsed < 6, "promptly after REQUEST_TIMEOUT (took \(elapsed) s)")

        let after = try #require(server.waitForWorkers(1))
        #expect(after.isDisjoint(with: before))
        let line = server.ragd!.logLines.first { $0["msg"] as? String == "request timeout: killing its worker" }
        #expect(line?["worker_pid"] as? Int == Int(before.first!))
        #expect((line?["request"] as? String)?.contains("/_test/sleep") == true)
        #expect((line?["request"] as? String)?.contains("hung-request-1") == true)
        #expect(try server.get("/health").status == 200)
    }

    @Test func workerThatCannotBootStopsTheMaster() throws {
        // libpq refuses this URL (unknown parameter); the master's own checks accept it.
        let server = try LiveServer(["DATABASE_URL": "postgres://ragd@127.0.0.1:5432/ragdb?no_such_option=1", "WORKERS": "4",
                                     "MIGRATE_ON_START": "false"])
        defer { server.stop() }
        try server.startRagd()
        let status = server.ragd!.waitForExit(timeout: 15)
        #expect(status == 3, "boot error exit status")
        let lines = server.ragd!.logLines
        let fatal = lines.filter { ($0["level"] as? String) == "critical" }
        #expect(fatal.count == 1)
        #expect((fatal.first?["msg"] as? String)?.contains("worker failed to boot") == true)
        #expect((fatal.first?["msg"] as? String)?.contains("DATABASE_URL") == true)
        let spawned = lines.filter { $0["msg"] as? String == "worker spawned" }.count
        #expect(spawned <= 4, "no fork storm: \(spawned) workers spawned")
    }

    @Test func invalidConfigurationIsReportedPerVariable() throws {
        var env = LiveServer.baseEnvironment(socketPath: "/tmp/unused.sock")
        env["WORKERS"] = "many"
        env["SECRET_KEY"] = nil
        env["BACKLOG"] = "0"
        env["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        let result = try run(Paths.ragdBinary, ["serve"], environment: env)
        #expect(result.status != 0)
        for variable in ["WORKERS", "SECRET_KEY", "BACKLOG"] {
            #expect(result.output.contains(variable), "names \(variable): \(result.output)")
        }
        #expect(!result.output.contains("live-test-secret"))
    }
}

extension Thread {
    /// Runs `body` on a new thread; `value()` waits for it.
    static func detachedResult<T>(_ body: @escaping () throws -> T) -> AsyncResult<T> {
        let result = AsyncResult<T>()
        Thread { result.set(Result { try body() }) }.start()
        return result
    }
}

final class AsyncResult<T>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<T, Error>?

    func set(_ value: Result<T, Error>) {
        condition.lock()
        result = value
        condition.broadcast()
        condition.unlock()
    }

    func value() throws -> T {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return try result!.get()
    }
}
