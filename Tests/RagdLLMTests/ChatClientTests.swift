import Foundation
import Testing
import RagdTesting
import RagdLLM

/// Against the project's fake OpenAI server, one server per test (they run in parallel).
@Suite struct ChatClientTests {
    static let passages = ChatRequest(messages: [
        .system("Answer from the numbered passages and cite them.\n"
            + "[1] The quick brown fox jumps over the lazy dog near the river bank.\n"
            + "[2] Paris is the capital and largest city of France.\n"
            + "[3] A third passage that is never cited."),
        .user("Tell me about foxes and Paris."),
    ], temperature: 0.2)

    private func client(_ server: FakeLLMServer, apiKey: String? = FakeLLMServer.apiKey, model: String = "fake-chat",
                        timeout: Duration = .seconds(10), maxRetries: Int = 2) throws -> ChatClient {
        try ChatClient(configuration: .init(baseURL: server.baseURL + "/", apiKey: apiKey, model: model,
                                            connectTimeout: .seconds(2), timeout: timeout, maxRetries: maxRetries,
                                            retryBaseDelay: .milliseconds(20), maxRetryDelay: .seconds(2)))
    }

    /// Streams `request`, collecting the deltas; the error, if any, is returned too.
    private func collect(_ client: ChatClient, _ request: ChatRequest = passages, shouldContinue: () -> Bool = { true },
                         onDelta: (String) -> Bool = { _ in true }) -> (deltas: [String], result: Result<ChatCompletion, LLMError>) {
        var deltas: [String] = []
        do {
            let completion = try client.stream(request, shouldContinue: shouldContinue) { delta in
                deltas.append(delta)
                return onDelta(delta)
            }
            return (deltas, .success(completion))
        } catch {
            return (deltas, .failure(error))
        }
    }

    @Test func completeAnswersWithCitationsAndUsage() throws {
        let server = try FakeLLMServer.start()
        let answer = try client(server).complete(Self.passages)
        // The fake cites the first two passages by their first eight words.
        #expect(answer.text == "According to the sources, The quick brown fox jumps over the lazy [1]. "
            + "Paris is the capital and largest city of [2].")
        #expect(answer.finishReason == "stop")
        let usage = try #require(answer.usage)
        #expect(usage.completionTokens == 22) // one per word
        #expect(usage.promptTokens == 46) // words of all messages

        let logged = try #require(try server.requests().last)
        #expect(logged["path"] as? String == "/v1/chat/completions")
        #expect(logged["authorization"] as? String == "valid")
        let body = try #require(logged["body"] as? [String: Any])
        #expect(body["model"] as? String == "fake-chat")
        #expect(body["stream"] as? Bool == false)
        #expect(body["temperature"] as? Double == 0.2)
        #expect(body["max_tokens"] == nil)
        let messages = try #require(body["messages"] as? [[String: String]])
        #expect(messages.map { $0["role"] } == ["system", "user"])
        #expect(messages.map { $0["content"] } == Self.passages.messages.map(\.content))

        let none = try client(server).complete(ChatRequest(messages: [.user("What is the \"answer\"?\n\t\\ é")]))
        #expect(none.text == "I don't know.")
        let request = try #require(try server.requests().last?["body"] as? [String: Any])
        #expect((request["messages"] as? [[String: String]])?.first?["content"] == "What is the \"answer\"?\n\t\\ é")
        #expect(request["top_p"] == nil && request["stop"] == nil && request["seed"] == nil)
    }

    /// The sampling options a chat-completions caller may set reach the provider as given.
    @Test func samplingOptionsAreSentAsGiven() throws {
        let server = try FakeLLMServer.start()
        _ = try client(server).complete(ChatRequest(messages: [.user("q")], topP: 0.5, stop: ["END", "\"x\""], seed: 42))
        let body = try #require(try server.requests().last?["body"] as? [String: Any])
        #expect(body["top_p"] as? Double == 0.5)
        #expect(body["stop"] as? [String] == ["END", "\"x\""])
        #expect(body["seed"] as? Int == 42)
        #expect(llmFailure { _ = try client(server).complete(ChatRequest(messages: [.user("x")], topP: 1.5)) }?.code == .badRequest)
    }

    @Test func streamDeltasConcatenateToTheWholeAnswer() throws {
        let server = try FakeLLMServer.start()
        let chat = try client(server)
        let whole = try chat.complete(Self.passages)
        let (deltas, result) = collect(chat)
        let streamed = try result.get()
        #expect(deltas.count == 22)
        #expect(deltas.joined() == whole.text)
        #expect(streamed.text == whole.text)
        #expect(streamed.usage == whole.usage)
        #expect(streamed.finishReason == "stop")
        let body = try #require(try server.requests().last?["body"] as? [String: Any])
        #expect(body["stream"] as? Bool == true)
        #expect((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)

        // max_tokens cuts the answer, and the finish reason says so.
        let short = try chat.stream(ChatRequest(messages: Self.passages.messages, maxTokens: 3), shouldContinue: { true },
                                    onDelta: { _ in true })
        #expect(short.text == "According to the")
        #expect(short.finishReason == "length")
        #expect(try server.requests().last?["body"].flatMap { ($0 as? [String: Any])?["max_tokens"] as? Int } == 3)
    }

    @Test func firstDeltaArrivesLongBeforeTheStreamEnds() throws {
        let server = try FakeLLMServer.start()
        try server.control(["answer_text": "one two three four five six seven eight nine ten", "token_delay_ms": 200])
        let start = ContinuousClock.now
        var firstDelta: ContinuousClock.Instant?
        var arrivals: [ContinuousClock.Instant] = []
        let completion = try client(server).stream(Self.passages, shouldContinue: { true }) { _ in
            let now = ContinuousClock.now
            if firstDelta == nil { firstDelta = now }
            arrivals.append(now)
            return true
        }
        let end = ContinuousClock.now
        #expect(completion.text == "one two three four five six seven eight nine ten")
        #expect(arrivals.count == 10)
        let first = try #require(firstDelta) - start
        let total = end - start
        // Ten tokens 200 ms apart: the first comes after about 0.2 s, the call ends after
        // about 2 s. A buffered answer would deliver everything at the end.
        #expect(total >= .milliseconds(1900), "the stream took \(total)")
        #expect(first < total - .seconds(1), "first delta after \(first) of \(total)")
        #expect(arrivals.last! - arrivals.first! >= .milliseconds(1500))
    }

    @Test func streamSurvivesCommentsCRLFAndCloseDelimitedBodies() throws {
        let server = try FakeLLMServer.start()
        let chat = try client(server)
        let expected = try chat.complete(Self.passages).text
        try server.control(["sse_comments": true, "sse_crlf": true])
        #expect(try collect(chat).result.get().text == expected)
        try server.control(["sse_comments": false, "sse_crlf": false, "stream_framing": "close"])
        let (deltas, result) = collect(chat)
        #expect(try result.get().text == expected)
        #expect(deltas.joined() == expected)
    }

    @Test func multiByteTokensArriveWhole() throws {
        let server = try FakeLLMServer.start()
        let text = "你好，世界！ Ünïcödé 🙂 text"
        try server.control(["answer_text": text])
        let (deltas, result) = collect(try client(server))
        #expect(try result.get().text == text)
        #expect(deltas.joined() == text)
        #expect(deltas.count > 6) // one delta per CJK character
    }

    @Test func unauthorizedNamesTheHostButNeverTheKey() throws {
        let server = try FakeLLMServer.start()
        let wrongKey = "sk-wrong-secret-key-0042"
        let chat = try client(server, apiKey: wrongKey)
        for error in [llmFailure { _ = try chat.complete(Self.passages) }, collect(chat).result.failure] {
            let failure = try #require(error)
            #expect(failure.code == .unauthorized)
            #expect(failure.status == 401)
            #expect(failure.attempts == 1)
            #expect(failure.message.contains("LLM at 127.0.0.1:\(server.port) answered 401"))
            for text in [failure.message, failure.description, String(describing: failure), chat.description,
                         chat.configuration.description] {
                #expect(!text.contains(wrongKey) && !text.contains(FakeLLMServer.apiKey))
            }
        }
        #expect(try server.requests().map { $0["authorization"] as? String } == ["invalid", "invalid"])

        let anonymous = try client(server, apiKey: nil)
        #expect(llmFailure { _ = try anonymous.complete(Self.passages) }?.code == .unauthorized)
        #expect(try server.requests().last?["authorization"] as? String == "missing")
    }

    @Test func rateLimitIsRetriedHonouringRetryAfter() throws {
        let server = try FakeLLMServer.start()
        let chat = try client(server)
        try server.control(["fail_next": 1, "status": 429, "retry_after": 1])
        let start = ContinuousClock.now
        let (deltas, result) = collect(chat)
        let elapsed = ContinuousClock.now - start
        #expect(try result.get().finishReason == "stop")
        #expect(!deltas.isEmpty)
        #expect(try server.statuses() == [429, 200])
        #expect(elapsed >= .milliseconds(950), "Retry-After: 1 was not honoured (\(elapsed))")

        try server.control(["fail_next": 1, "status": 429, "retry_after": NSNull(), "reset": true])
        #expect(try chat.complete(Self.passages).finishReason == "stop")
        #expect(try server.statuses() == [429, 200])

        try server.control(["fail_next": 10, "status": 429, "reset": true])
        let limited = try #require(llmFailure { _ = try chat.complete(Self.passages) })
        #expect(limited.code == .rateLimited)
        #expect(limited.attempts == 3)
        #expect(try server.statuses() == [429, 429, 429])
    }

    @Test func serverErrorsAreRetriedThenUnavailable() throws {
        let server = try FakeLLMServer.start()
        let chat = try client(server, maxRetries: 2)
        try server.control(["fail_next": 3, "status": 500])
        let failure = try #require(collect(chat).result.failure)
        #expect(failure.code == .unavailable)
        #expect(failure.status == 500)
        #expect(failure.attempts == 3)
        #expect(!failure.afterFirstToken)
        #expect(failure.message.contains("answered 500"))
        #expect(try server.statuses() == [500, 500, 500])

        try server.control(["fail_next": 2, "status": 503, "reset": true])
        #expect(try chat.complete(Self.passages).finishReason == "stop")
        #expect(try server.statuses() == [503, 503, 200])
    }

    @Test func providerRefusalsAreNotRetried() throws {
        let server = try FakeLLMServer.start()
        let unknown = try client(server, model: "unknown-model")
        let failure = try #require(collect(unknown).result.failure)
        #expect(failure.code == .badRequest)
        #expect(failure.status == 404)
        #expect(failure.message.contains("does not exist"))
        try server.control(["fail_next": 1, "status": 422])
        #expect(llmFailure { _ = try client(server).complete(Self.passages) }?.code == .badRequest)
        #expect(try server.statuses() == [404, 422])

        // Requests we can tell are wrong never leave.
        #expect(llmFailure { _ = try client(server).complete(ChatRequest(messages: [])) }?.code == .badRequest)
        #expect(llmFailure { _ = try client(server).complete(ChatRequest(messages: [.user("x")], temperature: .nan)) }?
            .code == .badRequest)
        #expect(try server.requests().count == 2)
    }

    @Test func hangingProviderTimesOut() throws {
        let server = try FakeLLMServer.start()
        let chat = try client(server, timeout: .seconds(1), maxRetries: 0)
        try server.control(["hang_next": 2, "hang_ms": 20000])
        var start = ContinuousClock.now
        let whole = try #require(llmFailure { _ = try chat.complete(Self.passages) })
        var elapsed = ContinuousClock.now - start
        #expect(whole.code == .timeout)
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(5), "timeout took \(elapsed)")

        start = ContinuousClock.now
        let streamed = try #require(collect(chat).result.failure)
        elapsed = ContinuousClock.now - start
        #expect(streamed.code == .timeout)
        #expect(!streamed.afterFirstToken)
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(5), "timeout took \(elapsed)")

        // A timeout before any byte is retried.
        let retrying = try client(server, timeout: .seconds(1), maxRetries: 1)
        try server.control(["hang_next": 1])
        #expect(try collect(retrying).result.get().finishReason == "stop")
    }

    @Test func cutStreamIsInterruptedAndNotRetried() throws {
        let server = try FakeLLMServer.start()
        let chat = try client(server, maxRetries: 2)
        try server.control(["cut_stream_after": 3])
        let (deltas, result) = collect(chat)
        let failure = try #require(result.failure)
        #expect(failure.code == .interrupted)
        #expect(failure.afterFirstToken)
        #expect(failure.attempts == 1)
        #expect(deltas == ["According", " to", " the"])
        let logged = try server.requests()
        #expect(logged.count == 1)
        #expect(logged.first?["tokens_sent"] as? Int == 3)

        // The same when the body is close-delimited (a clean EOF without [DONE]).
        try server.control(["cut_stream_after": 2, "stream_framing": "close", "reset": true])
        let closed = try #require(collect(chat).result.failure)
        #expect(closed.code == .interrupted && closed.afterFirstToken)
        #expect(try server.requests().count == 1)

        // Cut before any text: nothing reached the caller, so it is retried.
        try server.control(["cut_stream_after": 0, "stream_framing": "chunked", "reset": true])
        #expect(try collect(chat).result.get().finishReason == "stop")
        #expect(try server.requests().count == 2)
    }

    @Test func errorEventsMidStreamAndBeforeText() throws {
        let server = try FakeLLMServer.start()
        let chat = try client(server)
        try server.control(["error_event_after": 2])
        let (deltas, result) = collect(chat)
        let failure = try #require(result.failure)
        #expect(failure.code == .interrupted)
        #expect(failure.afterFirstToken)
        #expect(failure.message.contains("scripted stream error"))
        #expect(deltas.count == 2)
        #expect(try server.requests().count == 1)

        // Before any text an error event is a provider failure and is retried.
        try server.control(["error_event_after": 0, "reset": true])
        let (retried, again) = collect(chat)
        #expect(try again.get().text == retried.joined())
        #expect(try server.requests().count == 2)
    }

    @Test func abortedStreamClosesTheConnectionPromptly() throws {
        let server = try FakeLLMServer.start()
        let chat = try client(server)
        try server.control(["token_delay_ms": 400])
        var stopAt: Double?
        let (deltas, result) = collect(chat, shouldContinue: {
            // Stop once the first delta is in: the client of ragd has gone.
            stopAt == nil
        }, onDelta: { _ in
            if stopAt == nil { stopAt = Date().timeIntervalSince1970 }
            return true
        })
        let returned = Date().timeIntervalSince1970
        let failure = try #require(result.failure)
        #expect(failure.code == .aborted)
        #expect(failure.afterFirstToken)
        #expect(failure.attempts == 1)
        let stoppedAt = try #require(stopAt)
        #expect(deltas.count <= 3)
        #expect(returned - stoppedAt < 1.5, "the call returned \(returned - stoppedAt) s after the stop")
        var entry: [String: Any] = [:]
        let noticed = try eventually(timeout: 3) {
            entry = try server.requests().first ?? [:]
            return entry["client_disconnected"] as? Bool == true
        }
        #expect(noticed, "the server never saw the client go: \(entry)")
        let disconnectedAt = try #require(entry["disconnected_at"] as? Double)
        #expect(disconnectedAt - stoppedAt < 1.5, "the server saw the close \(disconnectedAt - stoppedAt) s after the stop")
        #expect((entry["tokens_sent"] as? Int ?? 99) < 10)

        // onDelta returning false stops the stream just the same.
        try server.control(["token_delay_ms": 0, "reset": true])
        let (some, stopped) = collect(chat, onDelta: { _ in false })
        #expect(stopped.failure?.code == .aborted)
        #expect(some.count == 1)
    }

    @Test func abortDuringBackoffStopsWaiting() throws {
        let server = try FakeLLMServer.start()
        let chat = try ChatClient(configuration: .init(baseURL: server.baseURL, apiKey: FakeLLMServer.apiKey,
                                                       maxRetries: 3, maxRetryDelay: .seconds(10)))
        try server.control(["fail_next": 5, "status": 503, "retry_after": 8])
        let start = ContinuousClock.now
        let failure = try #require(collect(chat, shouldContinue: { ContinuousClock.now - start < .milliseconds(300) }).result.failure)
        let elapsed = ContinuousClock.now - start
        #expect(failure.code == .aborted)
        #expect(failure.attempts == 1)
        #expect(elapsed < .seconds(5), "kept waiting \(elapsed) (Retry-After asked for 8 s)")
    }

    @Test func unparseableAnswersAreInvalidResponses() throws {
        let server = try FakeLLMServer.start()
        let chat = try client(server)
        try server.control(["bad_json_next": 2])
        let whole = try #require(llmFailure { _ = try chat.complete(Self.passages) })
        #expect(whole.code == .invalidResponse)
        #expect(whole.status == 200)
        #expect(collect(chat).result.failure?.code == .invalidResponse)
        #expect(try server.statuses() == [200, 200])
    }

    @Test func unreachableProviderIsUnavailable() throws {
        let port = try TestSupport.freePort()
        let chat = try ChatClient(configuration: .init(baseURL: "http://user:pass@127.0.0.1:\(port)/v1", apiKey: "sk-unused-key",
                                                       maxRetries: 1, retryBaseDelay: .milliseconds(10)))
        let failure = try #require(collect(chat).result.failure)
        #expect(failure.code == .unavailable)
        #expect(failure.attempts == 2)
        #expect(failure.message.contains("LLM at 127.0.0.1:\(port)"))
        for text in [failure.description, chat.description, chat.configuration.description] {
            #expect(!text.contains("pass") && !text.contains("sk-unused-key"))
        }
    }

    @Test func rejectsUnusableSettings() {
        let cases: [ChatClient.Configuration] = [
            .init(baseURL: "ftp://x"), .init(baseURL: "http://"), .init(model: ""), .init(maxRetries: -1),
            .init(maxRetries: 11), .init(timeout: .zero), .init(retryBaseDelay: .milliseconds(-1)),
        ]
        for configuration in cases {
            #expect(llmFailure { _ = try ChatClient(configuration: configuration) }?.code == .invalidConfiguration)
        }
        let defaults = ChatClient.Configuration()
        #expect(defaults.baseURL == "https://api.deepseek.com/v1" && defaults.model == "deepseek-chat")
        #expect(defaults.timeout == .seconds(60) && defaults.connectTimeout == .seconds(5) && defaults.maxRetries == 2)
    }
}

extension Result {
    /// The error, or nil on success.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
