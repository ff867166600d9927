import RagdCore
import RagdCurl
import RagdProvider

/// A reranker over an HTTP rerank API: text-embeddings-inference (`POST /rerank`),
/// Cohere, Jina, Voyage-style and the project's fake server.
///
/// One body suits them all: `{"query", "documents", "texts", "top_n", "model"?,
/// "return_documents": false}`. Cohere, Jina and Voyage read `documents`, TEI reads
/// `texts`; each ignores the fields it does not know. That sends the documents twice,
/// which costs bandwidth on a local link but saves a setting that operators would get
/// wrong. Both answer shapes are accepted (see `RerankResponse`); the results are checked
/// (indices in range, none repeated), sorted by score and cut to `topN` on our side too,
/// since TEI always returns every document.
///
/// Retries: one retry after a 429, 5xx or a failed connection (a short fixed wait, or
/// `Retry-After` up to 1 s); none after a timeout, since reranking sits on the request
/// path and a second full timeout would double the wait. Other 4xx are final.
///
/// Not thread-safe (one libcurl handle): one per thread, created after `fork()`. The key
/// goes only into the `Authorization` header. Failures are the provider layer's
/// `ProviderError`: a reranker has no failure of its own to add.
public final class HTTPReranker: Reranker, CustomStringConvertible {
    /// The model sent, if any. Default: nil (the server's only model, as with TEI).
    public let model: String?
    /// Upper bound for one request, connect included. Default: 10 s.
    public let timeout: Duration
    /// Retries after the first attempt (0...3). Default: 1.
    public let maxRetries: Int

    private let provider: ProviderClient

    /// Creates a reranker with its own HTTP client.
    ///
    /// - Parameters:
    ///   - url: the full endpoint URL, e.g. `http://tei:8080/rerank` or
    ///     `https://api.jina.ai/v1/rerank`.
    ///   - apiKey: sent as `Authorization: Bearer ...`; nil or empty sends none.
    ///   - model: sent as `model` when set. Default: nil.
    ///   - timeout: per request. Default: 10 s.
    ///   - connectTimeout: TCP/TLS connect bound, within `timeout`. Default: 2 s.
    ///   - maxRetries: retries after 429/5xx/connect failures (0...3). Default: 1.
    /// - Throws: `.invalidConfiguration` for an unusable URL or settings, `.unavailable`
    ///   when libcurl cannot be initialised.
    public init(url: String, apiKey: String? = nil, model: String? = nil, timeout: Duration = .seconds(10),
                connectTimeout: Duration = .seconds(2), maxRetries: Int = 1) throws(ProviderError) {
        let endpoint = try ProviderEndpoint(url: url, kind: "reranker", apiKey: apiKey)
        guard timeout > .zero, connectTimeout > .zero else {
            throw ProviderError(.invalidConfiguration, "reranker timeouts must be positive")
        }
        guard (0...3).contains(maxRetries) else {
            throw ProviderError(.invalidConfiguration, "reranker retries must be between 0 and 3 (got \(maxRetries))")
        }
        self.model = (model?.isEmpty ?? true) ? nil : model
        self.timeout = timeout
        self.maxRetries = maxRetries
        // On the request path: short waits, and never a second full timeout.
        provider = try ProviderClient(endpoint: endpoint, timeout: timeout, connectTimeout: connectTimeout,
                                      maxResponseBytes: 16 << 20, maxRetries: maxRetries,
                                      backoff: RetryBackoff(base: .milliseconds(200), cap: .seconds(1)),
                                      retriesTimeouts: false)
    }

    /// The `topN` most relevant documents, most relevant first. No documents, or
    /// `topN` < 1, answers [] without a request.
    public func rerank(query: String, documents: [String], topN: Int) throws(ProviderError) -> [RerankResult] {
        guard !documents.isEmpty, topN > 0 else { return [] }
        let limit = min(topN, documents.count)
        let request = provider.post(requestBody(query: query, documents: documents, topN: limit))
        return try provider.withRetries {
            provider.send(request) { response throws(ProviderError) in
                try RerankResponse.results(from: response.body, count: documents.count, topN: limit, name: provider.endpoint.name)
            }
        }
    }

    /// The host and model; never the key.
    public var description: String { "HTTPReranker(\(provider.endpoint.name), model: \(model ?? "default"))" }

    private func requestBody(query: String, documents: [String], topN: Int) -> [UInt8] {
        var list: [UInt8] = [UInt8(ascii: "[")]
        list.reserveCapacity(documents.reduce(2) { $0 + $1.utf8.count + 8 })
        for (index, document) in documents.enumerated() {
            if index > 0 { list.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(document.utf8, to: &list)
        }
        list.append(UInt8(ascii: "]"))
        var out: [UInt8] = Array(#"{"query":"#.utf8)
        out.reserveCapacity(list.count * 2 + query.utf8.count + 128)
        JSONText.appendQuoted(query.utf8, to: &out)
        out.append(contentsOf: #","documents":"#.utf8)
        out.append(contentsOf: list)
        out.append(contentsOf: #","texts":"#.utf8)
        out.append(contentsOf: list)
        out.append(contentsOf: ",\"top_n\":\(topN),\"return_documents\":false".utf8)
        if let model {
            out.append(contentsOf: #","model":"#.utf8)
            JSONText.appendQuoted(model.utf8, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
