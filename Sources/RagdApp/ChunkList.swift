import RagdStore

/// `GET /v1/documents/{id}/chunks`: a page of a document's chunks in order, and where
/// the next page starts (`null` after the last).
struct ChunkList: Encodable {
    struct Chunk: Encodable {
        var id: String
        var ordinal: Int
        var text: String
        @Nullable var pageStart: Int?
        @Nullable var pageEnd: Int?

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
    }

    var documentID: String
    var data: [Chunk]
    @Nullable var nextOffset: Int?

    enum CodingKeys: String, CodingKey {
        case data
        case documentID = "document_id"
        case nextOffset = "next_offset"
    }
}
