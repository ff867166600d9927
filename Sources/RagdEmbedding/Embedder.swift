/// Turns texts into vectors of one fixed dimension: the extension point for embedding
/// providers (a remote OpenAI-compatible API, the built-in local embedder, later a local
/// semantic model).
///
/// Implementations return exactly one vector per input, in input order, each with
/// `dimension` finite components, or throw; they never return a partial result. An
/// implementation may hold a connection and be usable from one thread at a time
/// (`OpenAICompatibleEmbedder`); workers keep one per thread.
public protocol Embedder {
    /// The model name stored with every vector, so vectors from different models are
    /// never mixed in one collection.
    var model: String { get }
    /// The length of every vector.
    var dimension: Int { get }
    /// Embeds `texts` (in batches as the implementation needs) for `purpose`.
    func embed(_ texts: [String], purpose: EmbeddingPurpose) throws(EmbeddingError) -> [[Float]]
    /// What is put before each input per purpose (part of what a vector is of, so caches
    /// key on it). Default: none.
    var prefixes: EmbeddingPrefixes { get }
}

extension Embedder {
    public var prefixes: EmbeddingPrefixes { .none }

    /// Embeds `texts` as documents.
    public func embed(_ texts: [String]) throws(EmbeddingError) -> [[Float]] {
        try embed(texts, purpose: .document)
    }

    /// Embeds one search query.
    public func embedQuery(_ text: String) throws(EmbeddingError) -> [Float] {
        let vectors = try embed([text], purpose: .query)
        guard let vector = vectors.first, vectors.count == 1 else {
            throw EmbeddingError(.invalidResponse, "embedder returned \(vectors.count) vectors for 1 query")
        }
        return vector
    }
}
