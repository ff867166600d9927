import RagdStore

/// A background ingest job as `/v1/jobs` and `POST /v1/documents?async=true` answer it.
struct JobObject: Encodable {
    struct Progress: Encodable {
        var chunksEmbedded: Int
        var chunksTotal: Int

        enum CodingKeys: String, CodingKey {
            case chunksEmbedded = "chunks_embedded"
            case chunksTotal = "chunks_total"
        }
    }

    var id: String
    var state: String
    var title: String
    var progress: Progress
    var attempts: Int
    var error: String?
    var documentID: String?
    var duplicate: Bool
    var createdAt: String
    var updatedAt: String

    init(_ job: JobRecord) {
        id = job.id
        state = job.state
        title = job.title
        progress = Progress(chunksEmbedded: job.chunksDone, chunksTotal: job.chunksTotal)
        attempts = job.attempts
        error = job.error
        documentID = job.documentID
        duplicate = job.duplicate
        createdAt = job.createdAt
        updatedAt = job.updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, state, title, progress, attempts, error, duplicate
        case documentID = "document_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    /// Written out so that `error` and `document_id` are `null` until they are known.
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(state, forKey: .state)
        try container.encode(title, forKey: .title)
        try container.encode(progress, forKey: .progress)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(error, forKey: .error)
        try container.encode(documentID, forKey: .documentID)
        try container.encode(duplicate, forKey: .duplicate)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}
