import RagdCore
import RagdCurl
import RagdProvider

/// A client for an OpenAI-compatible `POST {baseURL}/chat/completions` API (DeepSeek by
/// default; OpenAI, vLLM, Ollama, llama.cpp and the project's fake server speak it too),
/// blocking, over libcurl.
///
/// Retries: after a 429, 408, 5xx, a failed connection, a timeout before any answer byte,
/// or an error event before any text, up to `maxRetries` more attempts are made, with
/// exponential backoff and jitter (`Retry-After` seconds honoured, capped at
/// `maxRetryDelay`). A stream is never retried once a delta has been delivered: the
/// caller has already passed that text on. 400/401/403/404/422 are final.
///
/// One instance owns one `HTTPClient` (one libcurl handle, kept-alive connection), so it
/// is not thread-safe: a worker keeps one per thread, created after `fork()`. The API key
/// goes only into the `Authorization` header; it is in no error, description or log.
public final class ChatClient: CustomStringConvertible {
    /// The settings this client was created with.
    public let configuration: Configuration

    private let provider: ProviderClient
    private var endpoint: ProviderEndpoint { provider.endpoint }

    /// Creates a client with its own HTTP client (libcurl handle).
    ///
    /// - Throws: `.invalidConfiguration` for an unusable URL, an empty model, retries
    ///   outside 0...10 or non-positive timeouts; `.unavailable` when libcurl cannot be
    ///   initialised.
    public init(configuration: Configuration) throws(LLMError) {
        var base = configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        let endpoint = try ProviderEndpoint(url: base + "/chat/completions", kind: "LLM", apiKey: configuration.apiKey)
        guard !configuration.model.isEmpty else { throw LLMError(.invalidConfiguration, "LLM model name is empty") }
        guard (0...10).contains(configuration.maxRetries) else {
            throw LLMError(.invalidConfiguration, "LLM retries must be between 0 and 10 (got \(configuration.maxRetries))")
        }
        guard configuration.timeout > .zero, configuration.connectTimeout > .zero,
              configuration.retryBaseDelay >= .zero, configuration.maxRetryDelay >= .zero else {
            throw LLMError(.invalidConfiguration, "LLM timeouts must be positive and retry delays not negative")
        }
        self.configuration = configuration
        provider = try ProviderClient(endpoint: endpoint, timeout: configuration.timeout,
                                      connectTimeout: configuration.connectTimeout, maxResponseBytes: 16 << 20,
                                      maxRetries: configuration.maxRetries,
                                      backoff: RetryBackoff(base: configuration.retryBaseDelay, cap: configuration.maxRetryDelay))
    }

    /// Asks for the whole answer at once (`"stream": false`).
    ///
    /// - Throws: `LLMError` (see `LLMError.Code`); `afterFirstToken` is always false.
    public func complete(_ request: ChatRequest) throws(LLMError) -> ChatCompletion {
        try validate(request)
        let http = provider.post(ChatWire.requestBody(model: configuration.model, request: request, stream: false))
        return try provider.withRetries { completeOnce(http) }
    }

    /// Streams the answer (`"stream": true`, `stream_options.include_usage`), handing
    /// each piece of text to `onDelta` as it arrives.
    ///
    /// - Parameters:
    ///   - shouldContinue: polled at least about once a second while waiting for data
    ///     (libcurl's progress callback) and every 100 ms during a backoff wait; return
    ///     false to stop (the client went away), which ends the call with `.aborted`.
    ///     A place for client-gone checks and heartbeats.
    ///   - onDelta: gets each non-empty text piece in order; return false to stop
    ///     (`.aborted`). Reasoning text (DeepSeek's `reasoning_content`) is not delivered.
    /// - Returns: the whole text, the usage (nil if the provider sent none) and the
    ///   finish reason.
    /// - Throws: `LLMError`; `afterFirstToken` tells whether `onDelta` had been called.
    public func stream(_ request: ChatRequest, shouldContinue: () -> Bool,
                       onDelta: (String) -> Bool) throws(LLMError) -> ChatCompletion {
        try validate(request)
        let http = provider.post(ChatWire.requestBody(model: configuration.model, request: request, stream: true),
                                 accept: "text/event-stream")
        return try withoutActuallyEscaping(shouldContinue) { shouldContinue throws(LLMError) in
            try provider.withRetries(shouldContinue: shouldContinue) {
                streamOnce(http, shouldContinue: shouldContinue, onDelta: onDelta)
            }
        }
    }

    // MARK: - Attempts

    private func validate(_ request: ChatRequest) throws(LLMError) {
        guard !request.messages.isEmpty else { throw LLMError(.badRequest, "chat request has no messages") }
        if let temperature = request.temperature, !temperature.isFinite || temperature < 0 {
            throw LLMError(.badRequest, "chat temperature must be a finite number not below 0")
        }
        if let topP = request.topP, !topP.isFinite || topP < 0 || topP > 1 {
            throw LLMError(.badRequest, "chat topP must be a number from 0 to 1")
        }
        if let maxTokens = request.maxTokens, maxTokens < 1 {
            throw LLMError(.badRequest, "chat maxTokens must be at least 1")
        }
    }

    private func completeOnce(_ http: HTTPClientRequest) -> Result<ChatCompletion, AttemptFailure> {
        provider.send(http).flatMap { wholeAnswer($0.body, status: $0.status) }
    }

    /// A complete (non-streamed) answer body.
    private func wholeAnswer(_ bytes: [UInt8], status: Int) -> Result<ChatCompletion, AttemptFailure> {
        guard let body = ChatWire.decode(bytes) else {
            return .failure(AttemptFailure(LLMError(.invalidResponse,
                                                    "\(endpoint.name) answered \(status) with a body that is not a chat completion (\(bytes.count) bytes)",
                                                    status: status), retryable: false))
        }
        if let error = body.error {
            return .failure(endpoint.inBandFailure(error, afterFirstToken: false, status: status))
        }
        guard let choice = body.choices?.first(where: { ($0.index ?? 0) == 0 }) else {
            return .failure(AttemptFailure(LLMError(.invalidResponse, "\(endpoint.name) answered \(status) without choices",
                                                    status: status), retryable: false))
        }
        return .success(ChatCompletion(text: choice.message?.content ?? choice.delta?.content ?? "", usage: body.usage?.value,
                                       finishReason: choice.finish_reason))
    }

    private func streamOnce(_ http: HTTPClientRequest, shouldContinue: @escaping () -> Bool,
                            onDelta: (String) -> Bool) -> Result<ChatCompletion, AttemptFailure> {
        var status = 0
        var retryAfter: String?
        var isEventStream = false
        var state = ChatStreamState(endpoint: endpoint, status: 0)
        /// A non-2xx body or a non-SSE answer, kept whole (bounded) for afterwards.
        var plainBody: [UInt8] = []
        var receivedBytes = false
        var callerStopped = false
        var tooLarge = false
        do {
            try provider.http.stream(http, onResponse: { head in
                status = head.status
                retryAfter = head.header("Retry-After")
                isEventStream = (head.header("Content-Type") ?? "").lowercased().hasPrefix("text/event-stream")
                state = ChatStreamState(endpoint: endpoint, status: status)
                return true
            }, shouldContinue: {
                if shouldContinue() { return true }
                callerStopped = true
                return false
            }, onChunk: { bytes in
                receivedBytes = true
                guard (200..<300).contains(status), isEventStream else {
                    guard plainBody.count + bytes.count <= 16 << 20 else {
                        tooLarge = true
                        return false
                    }
                    plainBody.append(contentsOf: bytes)
                    return true
                }
                return state.consume(bytes, onDelta: onDelta)
            })
        } catch {
            let afterFirstToken = state.deliveredAny
            if callerStopped || state.callerStopped {
                return .failure(AttemptFailure(LLMError(.aborted, "\(endpoint.name): stopped by the caller", status: status,
                                                        afterFirstToken: afterFirstToken), retryable: false))
            }
            if var failure = state.failure {
                failure.error.afterFirstToken = afterFirstToken
                return .failure(failure)
            }
            if tooLarge {
                return .failure(AttemptFailure(LLMError(.invalidResponse, "\(endpoint.name) answered more than 16 MiB",
                                                        status: status), retryable: false))
            }
            var failure = endpoint.transportFailure(error, timeout: configuration.timeout, receivedBytes: receivedBytes,
                                                    afterFirstToken: afterFirstToken)
            if status != 0 { failure.error.status = status }
            return .failure(failure)
        }
        guard (200..<300).contains(status) else {
            return .failure(endpoint.statusFailure(status, body: plainBody, retryAfter: retryAfter))
        }
        guard isEventStream else {
            // Some servers ignore "stream": true and answer in one piece: pass it on whole.
            let answer = wholeAnswer(plainBody, status: status)
            if case .success(let completion) = answer, !completion.text.isEmpty, !onDelta(completion.text) {
                return .failure(AttemptFailure(LLMError(.aborted, "\(endpoint.name): stopped by the caller", status: status,
                                                        afterFirstToken: true), retryable: false))
            }
            return answer
        }
        guard state.isComplete else {
            let afterFirstToken = state.deliveredAny
            return .failure(AttemptFailure(
                LLMError(.interrupted, "\(endpoint.name): the answer stream ended before it was complete (no [DONE])",
                         status: status, afterFirstToken: afterFirstToken),
                retryable: !afterFirstToken))
        }
        return .success(ChatCompletion(text: state.text, usage: state.usage, finishReason: state.finishReason))
    }

    /// The host and model; never the key.
    public var description: String { "ChatClient(\(endpoint.name), model: \(configuration.model))" }
}
