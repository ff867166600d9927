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
        var vector: Int?
        var keyword: Int?

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(vector, forKey: .vector)
            try container.encode(keyword, forKey: .keyword)
        }

        enum CodingKeys: String, CodingKey { case vector, keyword }
    }

    var chunkID: String
    var documentID: String
    var title: String
    var source: String?
    var ordinal: Int
    var text: String
    var pageStart: Int?
    var pageEnd: Int?
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

    /// Written out so that `source` and the pages are `null` when unknown.
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(chunkID, forKey: .chunkID)
        try container.encode(documentID, forKey: .documentID)
        try container.encode(title, forKey: .title)
        try container.encode(source, forKey: .source)
        try container.encode(ordinal, forKey: .ordinal)
        try container.encode(text, forKey: .text)
        try container.encode(pageStart, forKey: .pageStart)
        try container.encode(pageEnd, forKey: .pageEnd)
        try container.encode(score, forKey: .score)
        try container.encode(ranks, forKey: .ranks)
    }
}
