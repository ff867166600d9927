import RagdPipeline

/// The `POST /v1/search` answer: the mode searched, the hits best first, the time of
/// each stage in milliseconds.
struct SearchBody: Encodable {
    var mode: String
    var results: [SearchResult]
    var timings: [String: Double]
}

/// One hit of `/v1/search`.
struct SearchResult: Encodable {
    /// Where the chunk ranked in each leg of the search, `null` for a leg that missed it.
    struct Ranks: Encodable {
        @Nullable var vector: Int?
        @Nullable var keyword: Int?
    }

    var chunkID: String
    var documentID: String
    var title: String
    @Nullable var source: String?
    var ordinal: Int
    var text: String
    @Nullable var pageStart: Int?
    @Nullable var pageEnd: Int?
    var score: Double
    var ranks: Ranks

    init(_ hit: SearchHit) {
        chunkID = hit.chunkID
        documentID = hit.documentID
        title = hit.title
        source = hit.source
        ordinal = hit.ordinal
        text = hit.text
        pageStart = hit.pages?.start
        pageEnd = hit.pages?.end
        score = hit.score
        ranks = Ranks(vector: hit.vectorRank, keyword: hit.keywordRank)
    }

    enum CodingKeys: String, CodingKey {
        case title, source, ordinal, text, score, ranks
        case chunkID = "chunk_id"
        case documentID = "document_id"
        case pageStart = "page_start"
        case pageEnd = "page_end"
    }
}
