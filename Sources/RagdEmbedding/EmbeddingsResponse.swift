#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

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

    /// Every field optional and tolerant: error bodies differ between servers (FastAPI's
    /// `detail` may be a list), and a missing message must not hide the status.
    private struct ErrorBody: Decodable {
        struct Detail: Decodable { var message: String? }
        var error: Detail?
        var message: String?
        var detail: String?

        enum CodingKeys: String, CodingKey { case error, message, detail }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            error = try? container.decodeIfPresent(Detail.self, forKey: .error)
            message = try? container.decodeIfPresent(String.self, forKey: .message)
            detail = try? container.decodeIfPresent(String.self, forKey: .detail)
        }
    }

    /// The vectors in input order.
    ///
    /// - Throws: `.invalidResponse` unless the body is JSON with exactly `count` items,
    ///   whose `index` fields (when present, they must be on every item) are a permutation
    ///   of `0..<count`, each embedding having `dimension` finite numbers.
    static func vectors(from bytes: [UInt8], count: Int, dimension: Int, model: String) throws(EmbeddingError) -> [[Float]] {
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: Data(bytes))
        } catch {
            throw EmbeddingError(.invalidResponse, "embeddings answer is not the expected JSON (\(bytes.count) bytes)")
        }
        guard body.data.count == count else {
            throw EmbeddingError(.invalidResponse, "embeddings answer has \(body.data.count) vectors for \(count) inputs")
        }
        var ordered = [[Float]?](repeating: nil, count: count)
        let indexed = body.data.filter { $0.index != nil }.count
        guard indexed == 0 || indexed == count else {
            throw EmbeddingError(.invalidResponse, "embeddings answer gives an index for only some vectors")
        }
        for (position, item) in body.data.enumerated() {
            let slot = item.index ?? position
            guard (0..<count).contains(slot), ordered[slot] == nil else {
                throw EmbeddingError(.invalidResponse, "embeddings answer has an out-of-range or repeated index \(slot)")
            }
            guard item.embedding.count == dimension else {
                throw EmbeddingError(.invalidResponse,
                                     "model \(model) returned a vector of dimension \(item.embedding.count), expected \(dimension)")
            }
            guard item.embedding.allSatisfy(\.isFinite) else {
                throw EmbeddingError(.invalidResponse, "embeddings answer has a non-finite component")
            }
            ordered[slot] = item.embedding
        }
        return ordered.map { $0! }
    }

    /// `error.message` (OpenAI), `message` or `detail` (other servers) of an error body.
    static func errorMessage(from bytes: [UInt8]) -> String? {
        guard !bytes.isEmpty, let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(bytes)) else { return nil }
        return body.error?.message ?? body.message ?? body.detail
    }
}
