import Foundation
import Testing
import RagdTesting
@testable import RagdEmbedding

/// Against the project's fake OpenAI server, one server per test (they run in parallel).
@Suite struct OpenAICompatibleEmbedderTests {
    private func embedder(_ server: FakeOpenAIServer, apiKey: String? = nil, dimension: Int = 384, batchSize: Int = 64,
                          timeout: Duration = .seconds(10), maxRetries: Int = 3,
                          prefixes: EmbeddingPrefixes = .none) throws -> OpenAICompatibleEmbedder {
        try OpenAICompatibleEmbedder(baseURL: server.baseURL + "/", apiKey: apiKey, model: "test-embed", dimension: dimension,
                                     batchSize: batchSize, timeout: timeout, maxRetries: maxRetries,
                                     initialBackoff: .milliseconds(20), maxBackoff: .seconds(2), prefixes: prefixes)
    }

    /// The `EmbeddingError` `body` throws, or nil (recording an issue for other errors).
    private func failure(_ body: () throws -> Void) -> EmbeddingError? {
        do {
            try body()
            return nil
        } catch let error as EmbeddingError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func batchesKeepInputOrder() throws {
        let server = try FakeOpenAIServer()
        let client = try embedder(server, batchSize: 4)
        let texts = (0..<10).map { "text number \($0) about topic \($0 % 3)" }
        let vectors = try client.embed(texts)
        #expect(vectors.count == 10)
        #expect(vectors.allSatisfy { $0.count == 384 })
        let inputs = try server.loggedInputs()
        #expect(inputs.map(\.count) == [4, 4, 2])
        #expect(inputs.flatMap { $0 } == texts)
        let logged = try server.requests()
        #expect(logged.allSatisfy { $0["path"] as? String == "/v1/embeddings" })
        #expect(logged.allSatisfy { (($0["body"] as? [String: Any])?["model"] as? String) == "test-embed" })
        // Each vector is the one for its own text, whatever the batch.
        let single = try client.embed([texts[9]])
        #expect(single[0] == vectors[9])
        #expect(try client.embed([]).isEmpty)
    }

    @Test func vectorsAreReorderedByIndex() throws {
        let server = try FakeOpenAIServer(dimension: 16)
        let client = try embedder(server, dimension: 16)
        let texts = ["alpha", "beta", "gamma"]
        let expected = try client.embed(texts)
        try server.control(#"{"shuffle_next": 1}"#)
        #expect(try client.embed(texts) == expected)
        #expect(expected[0] != expected[1])
    }

    @Test func retriesAfter429HonouringRetryAfter() throws {
        let server = try FakeOpenAIServer(dimension: 8)
        let client = try embedder(server, dimension: 8)
        try server.control(#"{"fail_next": 1, "status": 429, "retry_after": 1}"#)
        let start = ContinuousClock.now
        let vectors = try client.embed(["hello"])
        let elapsed = ContinuousClock.now - start
        #expect(vectors.count == 1)
        #expect(try server.requests().compactMap { $0["status"] as? Int } == [429, 200])
        #expect(elapsed >= .milliseconds(950), "Retry-After: 1 was not honoured (\(elapsed))")
    }

    @Test func givesUpAfterMaxRetriesWithRateLimited() throws {
        let server = try FakeOpenAIServer(dimension: 8)
        let client = try embedder(server, dimension: 8, maxRetries: 2)
        try server.control(#"{"fail_next": 10, "status": 429}"#)
        let error = try #require(failure { _ = try client.embed(["hello"]) })
        #expect(error.code == .rateLimited)
        #expect(error.status == 429)
        #expect(error.attempts == 3)
        #expect(try server.requests().count == 3)
    }

    @Test func serverErrorsAreRetried() throws {
        let server = try FakeOpenAIServer(dimension: 8)
        let client = try embedder(server, dimension: 8, maxRetries: 3)
        try server.control(#"{"fail_next": 2, "status": 500}"#)
        #expect(try client.embed(["a", "b"]).count == 2)
        #expect(try server.requests().compactMap { $0["status"] as? Int } == [500, 500, 200])

        try server.control(#"{"fail_next": 5, "status": 503, "reset": true}"#)
        let error = try #require(failure { _ = try client.embed(["a"]) })
        #expect(error.code == .unavailable)
        #expect(error.status == 503)
        #expect(error.attempts == 4)
    }

    @Test func clientErrorsAreNotRetried() throws {
        let server = try FakeOpenAIServer(dimension: 8)
        let client = try embedder(server, dimension: 8, maxRetries: 3)
        // The fake, like OpenAI, refuses an empty string with 400.
        let error = try #require(failure { _ = try client.embed(["fine", ""]) })
        #expect(error.code == .rejected)
        #expect(error.status == 400)
        #expect(error.attempts == 1)
        #expect(error.message.contains("invalid"))
        #expect(try server.requests().count == 1)

        try server.control(#"{"fail_next": 1, "status": 404}"#)
        #expect(failure { _ = try client.embed(["x"]) }?.code == .rejected)
        #expect(try server.requests().count == 2)
    }

    @Test func timeoutIsHonouredAndRetried() throws {
        let server = try FakeOpenAIServer(dimension: 8)
        let once = try embedder(server, dimension: 8, timeout: .seconds(1), maxRetries: 0)
        try server.control(#"{"hang_next": 1, "hang_ms": 20000}"#)
        let start = ContinuousClock.now
        let error = try #require(failure { _ = try once.embed(["slow"]) })
        let elapsed = ContinuousClock.now - start
        #expect(error.code == .timeout)
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(5), "timeout took \(elapsed)")

        let retrying = try embedder(server, dimension: 8, timeout: .seconds(1), maxRetries: 1)
        try server.control(#"{"hang_next": 1, "hang_ms": 20000}"#)
        #expect(try retrying.embed(["slow then fine"]).count == 1)
    }

    @Test func wrongDimensionOrBrokenAnswersAreInvalidResponses() throws {
        let server = try FakeOpenAIServer(dimension: 8)
        let mismatched = try embedder(server, dimension: 16)
        let error = try #require(failure { _ = try mismatched.embed(["x"]) })
        #expect(error.code == .invalidResponse)
        #expect(error.message.contains("dimension 8, expected 16"))
        #expect(error.attempts == 1)

        let client = try embedder(server, dimension: 8)
        try server.control(#"{"wrong_dimension_next": 1}"#)
        #expect(failure { _ = try client.embed(["x"]) }?.code == .invalidResponse)
        try server.control(#"{"bad_json_next": 1}"#)
        #expect(failure { _ = try client.embed(["x"]) }?.code == .invalidResponse)
        #expect(try client.embed(["x"]).count == 1)
    }

    @Test func apiKeyIsSentAndNeverShown() throws {
        let key = "sk-test-secret-0123456789"
        let server = try FakeOpenAIServer(dimension: 8, apiKey: key)
        let client = try embedder(server, apiKey: key, dimension: 8)
        #expect(try client.embed(["authorised"]).count == 1)
        #expect(try server.requests().last?["authorization"] as? String == "valid")
        #expect(!client.description.contains(key))

        let wrongKey = "sk-wrong-secret-9876543210"
        let wrong = try embedder(server, apiKey: wrongKey, dimension: 8)
        let error = try #require(failure { _ = try wrong.embed(["x"]) })
        #expect(error.code == .rejected)
        #expect(error.status == 401)
        #expect(try server.requests().last?["authorization"] as? String == "invalid")
        for text in [error.description, error.message, String(describing: error), wrong.description] {
            #expect(!text.contains(wrongKey) && !text.contains(key))
        }

        // Errors of every other kind leave the key out too.
        try server.control(#"{"fail_next": 5, "status": 429}"#)
        let limited = try #require(failure { _ = try client.embed(["x"]) })
        #expect(limited.code == .rateLimited && !limited.description.contains(key))

        let none = try embedder(server, apiKey: nil, dimension: 8)
        #expect(failure { _ = try none.embed(["x"]) }?.status == 401)
        #expect(try server.requests().last?["authorization"] as? String == "missing")
    }

    @Test func unreachableServerIsUnavailable() throws {
        let port = try TestSupport.freePort()
        let client = try OpenAICompatibleEmbedder(baseURL: "http://user:pass@127.0.0.1:\(port)/v1", apiKey: "sk-unused-key",
                                                  model: "m", dimension: 4, maxRetries: 1,
                                                  initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(50))
        let error = try #require(failure { _ = try client.embed(["x"]) })
        #expect(error.code == .unavailable)
        #expect(error.attempts == 2)
        #expect(!error.description.contains("pass") && !error.description.contains("sk-unused-key"))
        #expect(!client.description.contains("pass"))
    }

    @Test func purposePrefixesReachTheServer() throws {
        let server = try FakeOpenAIServer(dimension: 8)
        let client = try embedder(server, dimension: 8, prefixes: .e5)
        _ = try client.embedQuery("what is ragd")
        _ = try client.embed(["ragd is a server"], purpose: .document)
        #expect(try server.loggedInputs() == [["query: what is ragd"], ["passage: ragd is a server"]])
    }

    @Test func rejectsUnusableSettings() {
        let cases: [() throws -> Void] = [
            { _ = try OpenAICompatibleEmbedder(baseURL: "ftp://x", apiKey: nil, model: "m", dimension: 4) },
            { _ = try OpenAICompatibleEmbedder(baseURL: "http://x", apiKey: nil, model: "", dimension: 4) },
            { _ = try OpenAICompatibleEmbedder(baseURL: "http://x", apiKey: nil, model: "m", dimension: 0) },
            { _ = try OpenAICompatibleEmbedder(baseURL: "http://x", apiKey: nil, model: "m", dimension: 4, batchSize: 0) },
            { _ = try OpenAICompatibleEmbedder(baseURL: "http://x", apiKey: nil, model: "m", dimension: 4, maxRetries: -1) },
        ]
        for make in cases {
            #expect(failure(make)?.code == .invalidConfiguration)
        }
    }
}
