import RagdCache
import RagdEmbedding

/// The local hashing embedder, counting how often and with what it is called.
final class CountingEmbedder: Embedder {
    let inner: LocalHashingEmbedder
    let modelName: String
    let prefixes: EmbeddingPrefixes
    private(set) var calls: [[String]] = []

    init(dimension: Int = 64, model: String = "ragd-local-hashing-v1", prefixes: EmbeddingPrefixes = .none) throws {
        inner = try LocalHashingEmbedder(dimension: dimension)
        modelName = model
        self.prefixes = prefixes
    }

    var model: String { modelName }
    var dimension: Int { inner.dimension }
    var textsEmbedded: Int { calls.reduce(0) { $0 + $1.count } }

    func embed(_ texts: [String], purpose: EmbeddingPurpose) throws(EmbeddingError) -> [[Float]] {
        calls.append(texts)
        return try inner.embed(texts, purpose: purpose)
    }
}

/// Outcome counts reported by a `CachingEmbedder`.
final class OutcomeCounter {
    private(set) var counts: [CacheOutcome: Int] = [:]
    func record(_ outcome: CacheOutcome, _ count: Int) { counts[outcome, default: 0] += count }
    subscript(_ outcome: CacheOutcome) -> Int { counts[outcome] ?? 0 }
}
