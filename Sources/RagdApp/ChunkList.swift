import RagdStore

/// `GET /v1/documents/{id}/chunks`: a page of a document's chunks in order, and where
/// the next page starts (`null` after the last).
struct ChunkList: Encodable {
    struct Chunk: Encodable {
        var id: String
        var ordinal: Int
        var text: String
        var pageStart: Int?
        var pageEnd: Int?

        init(_ chunk: ChunkRecord) {
            id = chunk.id
            ordinal = chunk.ordinal
            text = chunk.text
            pageStart = chunk.pages?.start
            pageEnd = chunk.pages?.end
        }

        enum CodingKeys: String, CodingKey {
            case id, ordinal, text
            case pageStart = "page_start"
            case pageEnd = "page_end"
        }

        /// Written out so that the pages of a chunk without any are `null`.
        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(ordinal, forKey: .ordinal)
            try container.encode(text, forKey: .text)
            try container.encode(pageStart, forKey: .pageStart)
            try container.encode(pageEnd, forKey: .pageEnd)
        }
    }

    var documentID: String
    var data: [Chunk]
    var nextOffset: Int?

    enum CodingKeys: String, CodingKey {
        case data
        case documentID = "document_id"
        case nextOffset = "next_offset"
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(documentID, forKey: .documentID)
        try container.encode(data, forKey: .data)
        try container.encode(nextOffset, forKey: .nextOffset)
    }
}
