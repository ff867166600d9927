import Foundation
import RagdCore
import RagdTesting
import Testing

/// RATE_LIMIT_PER_MINUTE through nginx, with one budget shared by every worker.
@Suite(.serialized)
struct RateLimitTests {
    @Test func theBudgetIsSharedByWorkersAndRefusalsSay429() throws {
        // One thread per worker: two requests in flight at once are in two workers.
        let stack = try QueryStack(["RATE_LIMIT_PER_MINUTE": "5", "WORKERS": "2", "THREADS": "1"])
        defer { stack.stop() }
        let token = try stack.server.token(tenant: QueryStack.tenant())
        try stack.fake.control(#"{"delay_ms": 1500}"#)

        let results = ResultsBox<HTTPResult>()
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            results.append(try? stack.query(token, ["question": "Slow question \(index)?"]))
        }
        try stack.fake.control(#"{"delay_ms": 0}"#)
        let slow = results.values
        #expect(slow.count == 2 && slow.allSatisfy { $0.status == 200 })
        #expect(Set(slow.compactMap { $0.headers["ratelimit-remaining"] }) == ["4", "3"],
                "two workers drew from one budget: \(slow.map(\.headers))")
        #expect(Set(try stack.chatRequests().map { $0["started"] as? Double ?? 0 }).count == 2)

        var statuses: [Int] = []
        for _ in 0..<4 {
            let result = try stack.server.request("GET", "/v1/documents", token: token)
            statuses.append(result.status)
            if result.status == 429 {
                #expect(result.headers["content-type"] == "application/problem+json")
                #expect(result.json?["type"] as? String == "urn:ragd:problem:rate-limited")
                #expect(Int(result.headers["retry-after"] ?? "") ?? 0 >= 1)
                #expect(result.headers["ratelimit-limit"] == "5")
                #expect(result.headers["ratelimit-remaining"] == "0")
                #expect(Int(result.headers["ratelimit-reset"] ?? "") ?? 0 >= 1)
            }
        }
        #expect(statuses == [200, 200, 200, 429])
        #expect(try stack.metric("rag_rate_limit_rejections_total") == 1)

        // Anonymous callers are counted by the address nginx saw; a forged header changes nothing.
        var anonymous: [Int] = []
        for index in 0..<6 {
            anonymous.append(try stack.server.request("GET", "/v1/documents", headers: ["X-Forwarded-For": "10.0.0.\(index)"]).status)
        }
        #expect(anonymous == [401, 401, 401, 401, 401, 429])
        // Probes and metrics are never limited.
        #expect(try stack.server.get("/health").status == 200)
    }
}

/// Results gathered from concurrent closures.
final class ResultsBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Value] = []
    func append(_ value: Value?) {
        guard let value else { return }
        lock.lock()
        stored.append(value)
        lock.unlock()
    }
    var values: [Value] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
