import Foundation
import Testing
import RagdTesting
import RagdProvider
@testable import RagdRerank

/// Against the project's fake OpenAI server, one server per test (they run in parallel).
@Suite struct HTTPRerankerTests {
    /// Distinctive, so a test can assert that no message contains it.
    static let apiKey = "sk-rerank-test-secret-4712"
    static let documents = [
        "Dogs are loyal animals.",
        "Paris is the capital of France.",
        "France is a country in Europe.",
        "The capital city has many museums.",
    ]

    private func reranker(_ server: FakeOpenAIServer, path: String = "/v1/rerank",
                          apiKey: String? = HTTPRerankerTests.apiKey) throws -> HTTPReranker {
        try HTTPReranker(url: "http://127.0.0.1:\(server.port)\(path)", apiKey: apiKey, model: "fake-rerank",
                         timeout: .seconds(5), connectTimeout: .seconds(2))
    }

    @Test func cohereShapeSortedAndCut() throws {
        let server = try FakeOpenAIServer(apiKey: Self.apiKey)
        let results = try reranker(server).rerank(query: "capital of France", documents: Self.documents, topN: 2)
        #expect(results.map(\.index) == [1, 2])
        #expect(results[0].score > results[1].score)
        let body = try #require(try server.requests().last?["body"] as? [String: Any])
        #expect(body["documents"] as? [String] == Self.documents)
        #expect(body["texts"] as? [String] == Self.documents)
        #expect(body["top_n"] as? Int == 2)
        #expect(body["model"] as? String == "fake-rerank")
        #expect(body["query"] as? String == "capital of France")
    }

    @Test func teiShapeIsCutOnOurSide() throws {
        let server = try FakeOpenAIServer(apiKey: Self.apiKey)
        try server.control(["rerank_shape": "tei"])
        let all = try reranker(server, path: "/rerank").rerank(query: "capital of France", documents: Self.documents, topN: 10)
        #expect(all.map(\.index) == [1, 2, 3, 0])
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.score >= $1.score })
        let two = try reranker(server, path: "/rerank").rerank(query: "capital of France", documents: Self.documents, topN: 2)
        #expect(two == Array(all.prefix(2)))
        #expect(try server.requests().map { $0["path"] as? String } == ["/rerank", "/rerank"])
    }

    @Test func badIndicesAreInvalidResponses() throws {
        let server = try FakeOpenAIServer(apiKey: Self.apiKey)
        try server.control(["rerank_bad_index_next": 1])
        let failure = try #require(providerFailure { _ = try reranker(server).rerank(query: "France", documents: Self.documents, topN: 2) })
        #expect(failure.code == .invalidResponse)
        #expect(failure.message.contains("index 4"))
        #expect(try server.requests().count == 1)

        let name = "reranker at test"
        let cases = [
            #"{"results": [{"index": 0, "relevance_score": 0.5}, {"index": 0, "relevance_score": 0.4}]}"#,
            #"[{"index": -1, "score": 0.5}]"#,
            #"[{"index": 0}]"#,
            #"{"results": "nope"}"#,
            "not json",
        ]
        for text in cases {
            #expect(providerFailure { _ = try RerankResponse.results(from: Array(text.utf8), count: 2, topN: 2, name: name) }?
                .code == .invalidResponse, "\(text)")
        }
        let mixed = #"{"data": [{"index": 1, "score": 0.25}, {"index": 0, "relevance_score": 0.75}]}"#
        #expect(try RerankResponse.results(from: Array(mixed.utf8), count: 2, topN: 5, name: name)
            == [RerankResult(index: 0, score: 0.75), RerankResult(index: 1, score: 0.25)])
    }

    @Test func errorsAreMappedAndRetriedOnce() throws {
        let server = try FakeOpenAIServer(apiKey: Self.apiKey)
        let wrongKey = "sk-wrong-rerank-key-77"
        let refused = try #require(providerFailure {
            _ = try reranker(server, apiKey: wrongKey).rerank(query: "France", documents: Self.documents, topN: 2)
        })
        #expect(refused.code == .unauthorized)
        #expect(refused.message.contains("reranker at 127.0.0.1:\(server.port) answered 401"))
        #expect(!refused.description.contains(wrongKey))

        try server.control(["fail_next": 1, "status": 503, "reset": true])
        #expect(try reranker(server).rerank(query: "France", documents: Self.documents, topN: 1).count == 1)
        #expect(try server.statuses() == [503, 200])

        try server.control(["fail_next": 2, "status": 500, "reset": true])
        let down = try #require(providerFailure { _ = try reranker(server).rerank(query: "France", documents: Self.documents, topN: 1) })
        #expect(down.code == .unavailable && down.attempts == 2)

        // The fake refuses an empty query with 400: final.
        try server.control(["reset": true])
        #expect(providerFailure { _ = try reranker(server).rerank(query: "", documents: Self.documents, topN: 1) }?.code == .badRequest)
        #expect(try server.requests().count == 1)

        // Nothing to rerank: no request at all.
        #expect(try reranker(server).rerank(query: "France", documents: [], topN: 3).isEmpty)
        #expect(try reranker(server).rerank(query: "France", documents: Self.documents, topN: 0).isEmpty)
        #expect(try server.requests().count == 1)
    }

    @Test func rejectsUnusableSettings() {
        #expect(providerFailure { _ = try HTTPReranker(url: "tei:8080/rerank", apiKey: nil, model: nil, timeout: .seconds(1),
                                                       connectTimeout: .seconds(1)) }?.code == .invalidConfiguration)
        #expect(providerFailure { _ = try HTTPReranker(url: "http://tei/rerank", apiKey: nil, model: nil, timeout: .zero,
                                                       connectTimeout: .seconds(1)) }?.code == .invalidConfiguration)
    }

    /// The `ProviderError` `body` throws, or nil.
    private func providerFailure(_ body: () throws -> Void) -> ProviderError? {
        TestSupport.thrownError(body) as? ProviderError
    }
}
