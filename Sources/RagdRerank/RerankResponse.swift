#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import RagdProvider

/// Rerank answers: Cohere and Jina send `{"results": [{"index", "relevance_score"}]}`
/// (Voyage uses `data` for the list), text-embeddings-inference a bare list of
/// `{"index", "score"}`. Both are accepted, with either score name.
enum RerankResponse {
    private struct Item: Decodable {
        var index: Int
        var relevance_score: Double?
        var score: Double?
    }

    private struct Envelope: Decodable {
        var results: [Item]?
        var data: [Item]?
    }

    /// The results, most relevant first (ties: lower index first), cut to `topN`.
    ///
    /// - Throws: `.invalidResponse` unless the body is one of the shapes above with
    ///   indices in `0..<count`, none repeated, every score finite.
    static func results(from bytes: [UInt8], count: Int, topN: Int, name: String) throws(ProviderError) -> [RerankResult] {
        let decoder = JSONDecoder()
        let items: [Item]
        if let list = try? decoder.decode([Item].self, from: Data(bytes)) {
            items = list
        } else if let envelope = try? decoder.decode(Envelope.self, from: Data(bytes)),
                  let list = envelope.results ?? envelope.data {
            items = list
        } else {
            throw ProviderError(.invalidResponse, "\(name) answered with a body that is not a rerank result (\(bytes.count) bytes)")
        }
        var seen = Set<Int>()
        var results: [RerankResult] = []
        results.reserveCapacity(items.count)
        for item in items {
            guard (0..<count).contains(item.index) else {
                throw ProviderError(.invalidResponse, "\(name) answered with index \(item.index) for \(count) documents")
            }
            guard seen.insert(item.index).inserted else {
                throw ProviderError(.invalidResponse, "\(name) answered with index \(item.index) twice")
            }
            guard let score = item.relevance_score ?? item.score, score.isFinite else {
                throw ProviderError(.invalidResponse, "\(name) answered without a finite score for index \(item.index)")
            }
            results.append(RerankResult(index: item.index, score: score))
        }
        results.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
        return Array(results.prefix(topN))
    }
}
