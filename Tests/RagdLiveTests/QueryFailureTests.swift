import Foundation
import RagdCore
import RagdTesting
import Testing

/// How `/v1/query` answers when the LLM fails: clear gateway problems, or an `error`
/// event once a stream has started. Embeddings are local here, so every scripted failure
/// of the test LLM server lands on the chat request.
@Suite(.serialized)
final class QueryFailureTests {
    let stack: QueryStack
    let token: String

    init() throws {
        stack = try QueryStack(["LLM_TIMEOUT": "3", "LLM_MAX_RETRIES": "1"])
        token = try stack.server.token(tenant: QueryStack.tenant())
        try stack.ingest(token, title: "Cats", text: QueryStack.cats)
        try stack.ingest(token, title: "Rust", text: QueryStack.rust)
    }

    deinit { stack.stop() }

    @Test(arguments: [
        (#"{"fail_next": 1, "status": 401}"#, 502, "llm-unauthorized"),
        (#"{"fail_next": 2, "status": 429, "retry_after": 0}"#, 503, "llm-rate-limited"),
        (#"{"fail_next": 2, "status": 500}"#, 502, "llm-unavailable"),
        (#"{"hang_next": 2, "hang_ms": 20000}"#, 504, "llm-timeout"),
        (#"{"fail_next": 1, "status": 500}"#, 200, ""),
    ])
    func llmFailuresAreClearGatewayErrors(script: String, status: Int, type: String) throws {
        try stack.fake.control(script)
        defer { try? stack.fake.control(#"{"fail_next": 0, "hang_next": 0}"#) }
        let result = try stack.query(token, ["question": "Failure \(Identifier.uuid().prefix(8)) about cats?"])
        #expect(result.status == status, "\(result.body)")
        if status != 200 {
            #expect(result.headers["content-type"] == "application/problem+json")
            #expect(result.json?["type"] as? String == "urn:ragd:problem:" + type)
            #expect(result.json?["dependency"] as? String == "llm")
            #expect(!result.body.contains(QueryStack.llmKey))
        }
        if status == 503 { #expect(result.headers["retry-after"] != nil) }
    }

    @Test(arguments: [
        (#"{"cut_stream_after": 2}"#, 2),
        (#"{"error_event_after": 1}"#, 1),
        (#"{"fail_next": 1, "status": 401}"#, 0),
    ])
    func aStreamThatFailsEndsWithAnErrorEvent(script: String, deltas: Int) throws {
        try stack.fake.control(script)
        defer { try? stack.fake.control(#"{"fail_next": 0, "cut_stream_after": null, "error_event_after": null}"#) }
        let client = try stack.stream(token, ["question": "Stream failure \(Identifier.uuid().prefix(8)) about rust?"])
        client.readToEnd()
        let names = client.events.map(\.name)
        #expect(names == ["sources"] + Array(repeating: "delta", count: deltas) + ["error"], "\(names)")
        let error = try #require(client.events.last?.json)
        #expect(error["status"] as? Int == 502)
        #expect((error["type"] as? String)?.hasPrefix("urn:ragd:problem:llm-") == true)
    }

    @Test func answerMetricsArePoolWide() throws {
        _ = try stack.query(token, ["question": "Metrics question \(Identifier.uuid().prefix(8))?"])
        try stack.fake.control(#"{"fail_next": 1, "status": 401}"#)
        _ = try stack.query(token, ["question": "Metrics failure \(Identifier.uuid().prefix(8))?"])
        #expect((try stack.metric("rag_llm_time_to_first_token_seconds_count") ?? 0) >= 1)
        #expect((try stack.metric(#"rag_llm_tokens_total{kind="completion"}"#) ?? 0) > 0)
        #expect((try stack.metric(#"rag_llm_tokens_total{kind="prompt"}"#) ?? 0) > 0)
        #expect((try stack.metric(#"rag_llm_requests_total{outcome="ok"}"#) ?? 0) >= 1)
        #expect((try stack.metric(#"rag_llm_requests_total{outcome="unauthorized"}"#) ?? 0) >= 1)
        for stage in ["embed", "retrieve", "generate"] {
            #expect((try stack.metric(#"rag_query_latency_seconds_count{stage="\#(stage)"}"#) ?? 0) >= 1, "\(stage)")
        }
        #expect((try stack.metric(#"rag_cache_requests_total{cache="answer",result="miss"}"#) ?? 0) >= 1)
        #expect((try stack.metric(#"rag_query_latency_seconds_count{stage="rerank"}"#) ?? 0) == 0, "no reranker here")
    }
}
