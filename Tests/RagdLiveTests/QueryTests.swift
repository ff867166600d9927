import Foundation
import RagdCore
import RagdTesting
import Testing

/// `/v1/query` end to end: through nginx over HTTPS, real PostgreSQL, Milvus and Redis,
/// with the project's test LLM server answering chat, embeddings and rerank.
@Suite(.serialized)
final class QueryTests {
    let stack: QueryStack
    let tenant = QueryStack.tenant()
    let token: String
    var documents: [String] = []

    init() throws {
        stack = try QueryStack(remoteEmbeddings: true, rerank: true, [
            "SSE_HEARTBEAT_SECONDS": "1", "LLM_TIMEOUT": "20",
            "ALLOWED_ORIGINS": "https://app.example.com",
        ])
        token = try stack.server.token(tenant: tenant)
        documents.append(try stack.ingest(token, title: "Cats", text: QueryStack.cats))
        documents.append(try stack.ingest(token, title: "Rust", text: QueryStack.rust))
    }

    deinit { stack.stop() }

    @Test func answerCitesOnlyPassagesItUses() throws {
        let result = try stack.query(token, ["question": "How do cats sense movements of air at night?", "top_k": 3])
        #expect(result.status == 200, "\(result.body)")
        let body = try #require(result.json)
        #expect(body["mode"] as? String == "llm")
        #expect(body["reranked"] as? Bool == true)
        #expect(result.headers["x-cache"] == "miss")
        let answer = try #require(body["answer"] as? String)
        let citations = try #require(body["citations"] as? [[String: Any]])
        #expect(!citations.isEmpty)
        for citation in citations {
            let n = try #require(citation["n"] as? Int)
            #expect(answer.contains("[\(n)]"), "citation \(n) is used by the answer")
            #expect(documents.contains(citation["document_id"] as? String ?? ""))
            #expect((citation["chunk_id"] as? String)?.count == 36)
            #expect(!(citation["snippet"] as? String ?? "").isEmpty)
            #expect(citation["title"] as? String != nil && citation["score"] as? Double != nil)
        }
        let usage = try #require(body["usage"] as? [String: Any])
        #expect((usage["prompt_tokens"] as? Int ?? 0) > 0 && (usage["completion_tokens"] as? Int ?? 0) > 0)
        let timings = try #require(body["timings"] as? [String: Any])
        #expect(Set(timings.keys) == ["embed", "retrieve", "rerank", "generate"])
        #expect((timings["generate"] as? Double ?? 0) > 0 && (timings["rerank"] as? Double ?? 0) > 0)

        // The model saw numbered passages and the question; the reranker saw the candidates.
        let prompt = QueryStack.promptText(try #require(try stack.chatRequests().last))
        #expect(prompt.contains("[1] ") && prompt.contains("Question: How do cats sense movements of air at night?"))
        #expect(prompt.contains("whiskers"))
        #expect(try !stack.fake.requests(to: "/rerank").isEmpty)
    }

    @Test func madeUpCitationNumbersAreDropped() throws {
        try stack.fake.control(#"{"answer_text": "Cats purr [1]. Dogs bark [7][0]."}"#)
        defer { try? stack.fake.control(#"{"answer_text": null}"#) }
        let result = try stack.query(token, ["question": "Do cats purr?", "top_k": 2])
        #expect(result.status == 200, "\(result.body)")
        let citations = try #require(result.json?["citations"] as? [[String: Any]])
        #expect(citations.compactMap { $0["n"] as? Int } == [1])
    }

    @Test func streamedEventsArriveInOrderBeforeTheModelFinishes() throws {
        try stack.fake.control(#"{"token_delay_ms": 150}"#)
        defer { try? stack.fake.control(#"{"token_delay_ms": 0}"#) }
        let question = "What does the borrow checker enforce?"
        let client = try stack.stream(token, ["question": question, "top_k": 2])
        client.readToEnd()
        #expect(client.status == 200)
        #expect(client.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        #expect(client.headers["x-cache"] == "miss")
        let names = client.events.map(\.name)
        #expect(names.first == "sources")
        #expect(names.last == "done")
        #expect(names.dropFirst().dropLast().allSatisfy { $0 == "delta" } && names.count >= 5, "\(names)")

        let sources = try #require(client.events.first?.json?["sources"] as? [[String: Any]])
        #expect(sources.map { $0["n"] as? Int } == Array(1...sources.count).map { Optional($0) })
        let text = client.events.filter { $0.name == "delta" }.compactMap { $0.json?["text"] as? String }.joined()
        let done = try #require(client.events.last?.json)
        let cited = try #require(done["citations"] as? [[String: Any]])
        #expect(!cited.isEmpty && cited.allSatisfy { text.contains("[\($0["n"] as? Int ?? -1)]") })
        #expect(done["usage"] != nil && done["timings"] != nil && done["mode"] as? String == "llm")

        // The first delta reached the client while the model was still writing.
        let chat = try #require(try stack.chatRequests().last)
        let finished = try #require(chat["finished"] as? Double)
        let firstDelta = try #require(client.events.first { $0.name == "delta" })
        #expect(firstDelta.arrivedAt < finished - 0.5, "first delta at \(firstDelta.arrivedAt), model finished at \(finished)")

        // The same question again is answered from the cache, replayed as events.
        let again = try stack.stream(token, ["question": question, "top_k": 2])
        again.readToEnd()
        #expect(again.headers["x-cache"] == "hit")
        #expect(again.events.map(\.name) == ["sources", "delta", "done"])
        #expect(again.events[1].json?["text"] as? String == text)
    }

    @Test func aSilentModelGetsHeartbeatsAndALeavingClientStopsIt() throws {
        try stack.fake.control(#"{"token_delay_ms": 4000}"#)
        defer { try? stack.fake.control(#"{"token_delay_ms": 0}"#) }
        let client = try stack.stream(token, ["question": "Why do cats sleep so much during the day?"])
        #expect(client.read { events in events.contains { $0.name == "sources" } })
        #expect(client.read { _ in client.comments.count >= 2 }, "heartbeats every second while the model is silent")
        #expect(client.comments.allSatisfy { $0 == ": keep-alive" })
        let left = client.abandon()

        var gone: Double?
        let noticed = try eventually(timeout: 10) {
            let chat = try stack.chatRequests().last
            gone = chat?["disconnected_at"] as? Double
            return chat?["client_disconnected"] as? Bool == true
        }
        #expect(noticed, "ragd closed its request to the LLM")
        let delay = (gone ?? .infinity) - left
        #expect(delay < 3, "the LLM request was aborted \(delay) s after the client left (the next token was 4 s away)")
        #expect((try stack.chatRequests().last?["tokens_sent"] as? Int ?? 99) <= 1)
    }

    @Test func cacheHitsOnRepeatAndMissesAfterAnIngest() throws {
        let question = ["question": "Which language prevents data races at compile time?", "top_k": 2] as [String: Any]
        let first = try stack.query(token, question)
        #expect(first.status == 200 && first.headers["x-cache"] == "miss", "\(first.body)")
        let chats = try stack.chatRequests().count
        let second = try stack.query(token, ["question": "  which LANGUAGE prevents data races at compile time? ", "top_k": 2])
        #expect(second.headers["x-cache"] == "hit")
        #expect(second.json?["answer"] as? String == first.json?["answer"] as? String)
        #expect(try stack.chatRequests().count == chats, "a hit does not call the LLM")

        // Other parameters are another answer.
        #expect(try stack.query(token, ["question": question["question"]!, "top_k": 3]).headers["x-cache"] == "miss")

        // A new document changes the corpus: the old answer is not served any more.
        try stack.ingest(token, title: "Go", text: "Go has a race detector that finds data races at run time.")
        let third = try stack.query(token, question)
        #expect(third.status == 200 && third.headers["x-cache"] == "miss")
        #expect(try stack.query(token, question).headers["x-cache"] == "hit")
        #expect((try stack.metric(#"rag_cache_requests_total{cache="answer",result="hit"}"#) ?? 0) >= 2)
    }

    @Test func queryEmbeddingsAreCached() throws {
        let text = "Tell me about whiskers and hunting \(Identifier.uuid().prefix(8))"
        _ = try stack.query(token, ["question": text, "top_k": 1])
        _ = try stack.query(token, ["question": text, "top_k": 2]) // another answer, same question
        let embedded = try stack.fake.loggedInputs().filter { $0 == [text] }
        #expect(embedded.count == 1, "the second query's embedding came from Redis")
        #expect((try stack.metric(#"rag_cache_requests_total{cache="embedding",result="hit"}"#) ?? 0) >= 1)
    }

    @Test func answersNeverUseAnotherTenantsPassages() throws {
        let other = QueryStack.tenant()
        let otherToken = try stack.server.token(tenant: other)
        try stack.ingest(otherToken, title: "Project Bluebird",
                         text: "The alpha project codename is Bluebird. Its launch code is 7731.")
        let result = try stack.query(token, ["question": "What is the codename of the alpha project and its launch code?"])
        #expect(result.status == 200)
        let sources = try stack.query(token, ["question": "What is the codename of the alpha project?", "top_k": 20])
        let cited = (sources.json?["citations"] as? [[String: Any]] ?? []) + (result.json?["citations"] as? [[String: Any]] ?? [])
        #expect(cited.allSatisfy { documents.contains($0["document_id"] as? String ?? "") || $0["title"] as? String == "Go" })
        #expect(!result.body.contains("Bluebird") && !result.body.contains("7731"))
        let leaked = try stack.chatRequests().filter { chat in
            let prompt = QueryStack.promptText(chat)
            return prompt.contains("codename of the alpha project") && prompt.contains("Bluebird")
        }
        #expect(leaked.isEmpty, "no prompt for this tenant carried the other tenant's passage")
        // The other tenant does get its own document.
        let own = try stack.query(otherToken, ["question": "What is the codename of the alpha project?"])
        #expect(own.body.contains("Bluebird"))
    }

    @Test func badQueriesAreRefusedBeforeAnyWork() throws {
        let chats = try stack.chatRequests().count
        for body: [String: Any] in [
            [:], ["question": ""], ["question": "   "], ["question": 7], ["question": "q", "top_k": 0],
            ["question": "q", "history": [["role": "system", "content": "x"]]], ["question": "q", "temperature": 3],
            ["question": "q", "max_tokens": 100_000], ["question": "q", "surprise": true],
        ] {
            let result = try stack.query(token, body)
            #expect(result.status == 422 || result.status == 400, "\(body) -> \(result.status) \(result.body)")
            #expect(result.headers["content-type"] == "application/problem+json")
        }
        #expect(try stack.query(nil, ["question": "q"]).status == 401)
        let readOnly = try stack.server.token(tenant: tenant, scopes: "documents:read")
        #expect(try stack.query(readOnly, ["question": "q"]).status == 403)
        #expect(try stack.chatRequests().count == chats)
    }

    @Test func historyReachesTheModel() throws {
        let result = try stack.query(token, ["question": "And what about at night?", "history": [
            ["role": "user", "content": "Tell me about cats."], ["role": "assistant", "content": "Cats sleep a lot."],
        ]])
        #expect(result.status == 200)
        let messages = ((try stack.chatRequests().last?["body"] as? [String: Any])?["messages"] as? [[String: Any]]) ?? []
        #expect(messages.compactMap { $0["role"] as? String } == ["system", "user", "assistant", "user"])
        #expect(messages[2]["content"] as? String == "Cats sleep a lot.")
    }

    @Test func corsThroughNginx() throws {
        let preflight = try stack.server.request("OPTIONS", "/v1/query", headers: [
            "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        ])
        #expect(preflight.status == 204)
        #expect(preflight.headers["access-control-allow-origin"] == "https://app.example.com")
        #expect(preflight.headers["access-control-allow-methods"]?.contains("POST") == true)
        #expect(preflight.headers["access-control-max-age"] != nil)

        let refused = try stack.server.request("OPTIONS", "/v1/query", headers: [
            "Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST",
        ])
        #expect(refused.status == 403)
        #expect(refused.headers["access-control-allow-origin"] == nil)

        let allowed = try stack.query(token, ["question": "Do cats purr?"], headers: ["Origin": "https://app.example.com"])
        #expect(allowed.headers["access-control-allow-origin"] == "https://app.example.com")
        #expect(allowed.headers["access-control-expose-headers"]?.contains("X-Cache") == true)
        let foreign = try stack.query(token, ["question": "Do cats purr?"], headers: ["Origin": "https://evil.example.com"])
        #expect(foreign.status == 200 && foreign.headers["access-control-allow-origin"] == nil)
    }
}
