import RagdProvider

/// Orders documents by relevance to a query (a cross-encoder behind a rerank API). The
/// extension point of the pipeline's rerank stage.
public protocol Reranker {
    /// The `topN` most relevant of `documents` for `query`, most relevant first; each
    /// result names its document by index into `documents`.
    func rerank(query: String, documents: [String], topN: Int) throws(ProviderError) -> [RerankResult]
}

/// One reranked document.
public struct RerankResult: Sendable, Equatable {
    /// Index into the `documents` passed to `rerank`.
    public var index: Int
    /// The model's relevance score; higher is more relevant. Scales differ per model.
    public var score: Double

    /// Creates a result.
    public init(index: Int, score: Double) {
        self.index = index
        self.score = score
    }
}
