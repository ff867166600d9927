/// One vector to store: a chunk of a document, owned by a tenant.
public struct MilvusRow: Sendable, Equatable {
    /// The chunk's id (from PostgreSQL); see `MilvusFilter.validateID` for the allowed form.
    public var chunkID: String
    /// The id of the document the chunk belongs to.
    public var documentID: String
    /// The tenant that owns the document; see `MilvusFilter.validateTenant`.
    public var tenant: String
    /// The embedding; finite, not all zero, as long as the collection's dimension.
    public var vector: [Float]

    /// Creates a row.
    public init(chunkID: String, documentID: String, tenant: String, vector: [Float]) {
        self.chunkID = chunkID
        self.documentID = documentID
        self.tenant = tenant
        self.vector = vector
    }
}

/// One search result.
public struct MilvusHit: Sendable, Equatable {
    /// The chunk's id.
    public var chunkID: String
    /// The id of the chunk's document.
    public var documentID: String
    /// Cosine similarity to the query vector, in -1...1; larger is nearer.
    public var score: Double

    /// Creates a hit.
    public init(chunkID: String, documentID: String, score: Double) {
        self.chunkID = chunkID
        self.documentID = documentID
        self.score = score
    }
}
