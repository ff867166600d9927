/// What a text is embedded for. Symmetric models (OpenAI's, the local hashing embedder)
/// ignore it; asymmetric ones such as the e5 family expect different input prefixes for
/// stored passages and for search queries (see `EmbeddingPrefixes`).
public enum EmbeddingPurpose: String, Sendable, Hashable, CaseIterable {
    /// Text stored in the index (document chunks).
    case document
    /// A search query compared against stored documents.
    case query
}

/// Strings put in front of every input, per purpose, for models trained with them.
public struct EmbeddingPrefixes: Sendable, Hashable {
    /// Prefix for `.document` inputs. Default: "".
    public var document: String
    /// Prefix for `.query` inputs. Default: "".
    public var query: String

    /// Creates prefixes; both default to none.
    public init(document: String = "", query: String = "") {
        self.document = document
        self.query = query
    }

    /// No prefixes (OpenAI-style symmetric models).
    public static let none = EmbeddingPrefixes()
    /// The e5 convention: "passage: " for documents, "query: " for queries.
    public static let e5 = EmbeddingPrefixes(document: "passage: ", query: "query: ")

    /// The prefix for `purpose`.
    public func prefix(for purpose: EmbeddingPurpose) -> String {
        switch purpose {
        case .document: return document
        case .query: return query
        }
    }
}
