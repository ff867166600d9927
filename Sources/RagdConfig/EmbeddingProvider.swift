/// Where embeddings come from (`EMBEDDING_PROVIDER`).
public enum EmbeddingProvider: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Built in, no network: deterministic feature hashing over words and character
    /// n-grams. Lexical, not semantic.
    case local
    /// Any OpenAI-compatible `/embeddings` endpoint.
    case openai

    public var description: String { rawValue }
}
