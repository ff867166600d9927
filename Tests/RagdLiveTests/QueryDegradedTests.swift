import Foundation
import RagdCore
import RagdTesting
import Testing

/// `/v1/query` with no outside service: extractive answers; and with Redis gone, which
/// costs the cache and the rate limiter but never the answer (unless fail-closed).
@Suite(.serialized)
struct QueryDegradedTests {
    /// A port with nothing listening: Redis is down for this server.
    static func deadRedis() throws -> String { "redis://127.0.0.1:\(try TestSupport.freePort())/0" }

    @Test func withoutAnLLMOrRedisTheAnswerIsExtractive() throws {
        let stack = try QueryStack(llm: false, ["REDIS_URL": try Self.deadRedis()])
        defer { stack.stop() }
        let token = try stack.server.token(tenant: QueryStack.tenant())
        let cats = try stack.ingest(token, title: "Cats", text: QueryStack.cats)
        try stack.ingest(token, title: "Rust", text: QueryStack.rust)

        let result = try stack.query(token, ["question": "What do a cat's whiskers sense?"])
        #expect(result.status == 200, "\(result.body)")
        let body = try #require(result.json)
        #expect(body["mode"] as? String == "extractive")
        #expect(result.headers["x-cache"] == "bypass")
        let answer = try #require(body["answer"] as? String)
        #expect(answer.contains("whiskers") && answer.contains("[1]"))
        let citations = try #require(body["citations"] as? [[String: Any]])
        #expect(citations.first?["document_id"] as? String == cats)
        #expect((body["usage"] as? [String: Any])?["completion_tokens"] as? Int == 0)
        #expect(try stack.chatRequests().isEmpty)

        let client = try stack.stream(token, ["question": "Does Rust have a garbage collector?"])
        client.readToEnd()
        #expect(client.events.map(\.name) == ["sources", "delta", "done"])
        #expect((client.events[1].json?["text"] as? String)?.contains("garbage collector") == true)

        // Every /v1 request was admitted without Redis, and counted.
        #expect((try stack.metric("rag_rate_limit_fail_open_total") ?? 0) >= 4)
        #expect((try stack.metric(#"rag_cache_requests_total{cache="answer",result="bypassed"}"#) ?? 0) >= 2)
    }

    @Test func failClosedRefusesWhileRedisIsDown() throws {
        let stack = try QueryStack(llm: false, ["REDIS_URL": try Self.deadRedis(), "RATE_LIMIT_FAIL_OPEN": "false"])
        defer { stack.stop() }
        let token = try stack.server.token(tenant: QueryStack.tenant())
        let result = try stack.query(token, ["question": "Anything?"])
        #expect(result.status == 503)
        #expect(result.json?["type"] as? String == "urn:ragd:problem:rate-limiter-unavailable")
        #expect(result.headers["retry-after"] != nil)
        #expect(try stack.server.get("/health").status == 200, "probes are not rate limited")
    }
}
