#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import RagdProvider

/// The OpenAI embeddings answer, `{"data": [{"index": 0, "embedding": [...]}, ...]}`,
/// and its checks.
enum EmbeddingsResponse {
    private struct Body: Decodable {
        var data: [Item]
    }

    private struct Item: Decodable {
        var index: Int?
        var embedding: [Float]
    }

    /// The vectors in input order.
    ///
    /// - Throws: `.invalidResponse` unless the body is JSON with exactly `count` items,
    ///   whose `index` fields (when present, they must be on every item) are a permutation
    ///   of `0..<count`, each embedding having `dimension` finite numbers.
    static func vectors(from bytes: [UInt8], count: Int, dimension: Int, model: String) throws(ProviderError) -> [[Float]] {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: Data(bytes))
        } catch {
            throw ProviderError(.invalidResponse, "embeddings answer is not the expected JSON (\(bytes.count) bytes)")
        }
        guard body.data.count == count else {
            throw ProviderError(.invalidResponse, "embeddings answer has \(body.data.count) vectors for \(count) inputs")
        }
        var ordered = [[Float]?](repeating: nil, count: count)
        let indexed = body.data.filter { $0.index != nil }.count
        guard indexed == 0 || indexed == count else {
            throw ProviderError(.invalidResponse, "embeddings answer gives an index for only some vectors")
        }
        for (position, item) in body.data.enumerated() {
            let slot = item.index ?? position
            guard (0..<count).contains(slot), ordered[slot] == nil else {
                throw ProviderError(.invalidResponse, "embeddings answer has an out-of-range or repeated index \(slot)")
            }
            guard item.embedding.count == dimension else {
                throw ProviderError(.invalidResponse,
                                    "model \(model) returned a vector of dimension \(item.embedding.count), expected \(dimension)")
            }
            guard item.embedding.allSatisfy(\.isFinite) else {
                throw ProviderError(.invalidResponse, "embeddings answer has a non-finite component")
            }
            ordered[slot] = item.embedding
        }
        return ordered.map { $0! }
    }
}
