import Foundation
import RagdTesting
import Testing

/// `/metrics` and `/status` give one correct view of the whole pool.
@Suite(.serialized)
struct MetricsTests {
    @Test func countersEqualTheRequestsSentAcrossWorkersAndThreads() throws {
        let server = try LiveServer(["WORKERS": "3", "THREADS": "4"])
        defer { server.stop() }
        try server.start()
        #expect(server.waitForWorkers(3) != nil)
        let baseline = try Metrics.scrape(server)
        let before = baseline.value(#"rag_requests_total{method="GET",endpoint="/health",status="200"}"#) ?? 0

        let report = try load(server, path: "/health", connections: 6, requests: 900)
        #expect(report["failed"] as? Int == 0)

        let metrics = try Metrics.scrape(server)
        #expect(metrics.value(#"rag_requests_total{method="GET",endpoint="/health",status="200"}"#) == before + 900)
        #expect(metrics.value(#"rag_request_latency_seconds_count{method="GET",endpoint="/health"}"#) == before + 900)
        // Buckets are cumulative and end at the count.
        let buckets = metrics.samples.filter { $0.key.hasPrefix(#"rag_request_latency_seconds_bucket{method="GET",endpoint="/health","#) }
        let ordered = buckets.sorted { Metrics.le($0.key) < Metrics.le($1.key) }.map(\.value)
        #expect(ordered.count == 17)
        #expect(ordered == ordered.sorted(), "cumulative buckets never decrease")
        #expect(ordered.last == before + 900)
        // More than one worker served them: the per-slot cells really were summed.
        let status = try #require(try server.get("/status?full").json)
        let processes = try #require(status["processes"] as? [[String: Any]])
        #expect(processes.filter { ($0["requests"] as? Int ?? 0) > 0 }.count >= 2)
        #expect((status["accepted_requests"] as? Int ?? 0) >= 900)

        let lint = try run("/usr/bin/env", ["promtool", "check", "metrics"], input: Data(metrics.text.utf8))
        #expect(lint.status == 0 && lint.output.isEmpty, "promtool: \(lint.output)")
    }

    @Test func noCounterGoesBackwardsWhenAWorkerIsKilled() throws {
        let server = try LiveServer(["WORKERS": "2", "THREADS": "2"])
        defer { server.stop() }
        try server.start()
        let workers = try #require(server.waitForWorkers(2))
        _ = try load(server, path: "/health", connections: 4, requests: 400)
        _ = try server.get("/v1/missing")
        let before = try Metrics.scrape(server)

        kill(workers.first!, SIGKILL)
        #expect(eventually(timeout: 2) { childPIDs(of: server.ragd!.pid).count == 2 && !childPIDs(of: server.ragd!.pid).contains(workers.first!) })
        let after = try Metrics.scrape(server)
        for (key, value) in before.samples where before.isCounterSample(key) {
            #expect((after.value(key) ?? -1) >= value, "\(key) went from \(value) to \(after.value(key) ?? -1)")
        }
        #expect((after.value(#"rag_pool_worker_restarts_total{reason="crash"}"#) ?? 0) == 1)
    }

    @Test func statusShowsABusyWorkerDuringASlowRequest() throws {
        let server = try LiveServer(["WORKERS": "2", "THREADS": "2"])
        defer { server.stop() }
        try server.start()

        let slow = Thread.detachedResult { try server.get("/_test/sleep?seconds=3", headers: ["X-Request-ID": "slow-status-1"], timeout: 20) }
        var busy: [String: Any]?
        #expect(eventually(timeout: 5) {
            guard let status = (try? server.get("/status?full"))?.json,
                  let processes = status["processes"] as? [[String: Any]] else { return false }
            busy = processes.first { ($0["current_requests"] as? [[String: Any]] ?? []).contains { ($0["request"] as? String ?? "").contains("slow-status-1") } }
            return busy != nil
        })
        #expect(busy?["state"] as? String == "busy")
        let request = (busy?["current_requests"] as? [[String: Any]])?.first { ($0["request"] as? String ?? "").contains("/_test/sleep") }
        #expect(request != nil)
        let text = try server.get("/status?full", headers: ["Accept": "text/plain"])
        #expect(text.headers["content-type"]?.hasPrefix("text/plain") == true)
        #expect(text.body.contains("slow-status-1"))
        #expect(text.body.contains("busy"))
        #expect(try slow.value().status == 200)
        #expect(try server.get("/status").json?["threads"] as? [String: Int] != nil)
    }

    @Test func metricsAndStatusAreNotPublic() throws {
        let server = try LiveServer()
        defer { server.stop() }
        try server.start()
        #expect(try server.get("/metrics").status == 200)
        #expect(try server.get("/metrics", headers: ["X-Forwarded-For": "203.0.113.9"]).status == 403)
        #expect(try server.get("/status", headers: ["X-Forwarded-For": "203.0.113.9"]).status == 403)
    }

    private func load(_ server: LiveServer, path: String, connections: Int, requests: Int) throws -> [String: Any] {
        let result = try run("/usr/bin/python3", [Paths.testTool("loadloop.py"), server.baseURL + path,
                                                  "--connections", String(connections), "--requests", String(requests)])
        return (try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]) ?? [:]
    }
}

/// A parsed Prometheus text exposition.
struct Metrics {
    var text: String
    /// Sample name with labels, exactly as exposed -> value.
    var samples: [String: Double]
    var types: [String: String]

    static func scrape(_ server: LiveServer) throws -> Metrics {
        let response = try server.get("/metrics")
        guard response.status == 200 else { throw TestFailure("/metrics answered \(response.status)") }
        var samples: [String: Double] = [:], types: [String: String] = [:]
        for line in response.body.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                types[String(parts[2])] = String(parts[3])
            } else if !line.hasPrefix("#"), let space = line.lastIndex(of: " ") {
                samples[String(line[..<space])] = Double(line[line.index(after: space)...])
            }
        }
        return Metrics(text: response.body, samples: samples, types: types)
    }

    func value(_ key: String) -> Double? { samples[key] }

    /// Counters and histogram parts only ever grow.
    func isCounterSample(_ key: String) -> Bool {
        let name = String(key.prefix { $0 != "{" })
        if types[name] == "counter" { return true }
        for suffix in ["_bucket", "_count", "_sum"] where name.hasSuffix(suffix) {
            if types[String(name.dropLast(suffix.count))] == "histogram" { return true }
        }
        return false
    }

    static func le(_ key: String) -> Double {
        guard let range = key.range(of: #"le=""#) else { return .infinity }
        let rest = key[range.upperBound...]
        let value = rest.prefix { $0 != "\"" }
        return value == "+Inf" ? .infinity : Double(value) ?? .infinity
    }
}
