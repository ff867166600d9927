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
    @Nullable var error: String?
    @Nullable var documentID: String?
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
}
