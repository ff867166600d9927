import RagdCore
import RagdStore

/// A background ingest job as `/v1/jobs` and `POST /v1/documents?async=true` answer it.
enum JobBody {
    static func listJSON(_ jobs: [JobRecord]) -> String {
        JSONText.object([("data", "[" + jobs.map(json).joined(separator: ",") + "]")])
    }

    static func json(_ job: JobRecord) -> String {
        JSONText.object([
            ("id", JSONText.quoted(job.id)),
            ("state", JSONText.quoted(job.state)),
            ("title", JSONText.quoted(job.title)),
            ("progress", JSONText.object([("chunks_embedded", String(job.chunksDone)), ("chunks_total", String(job.chunksTotal))])),
            ("attempts", String(job.attempts)),
            ("error", job.error.map(JSONText.quoted) ?? "null"),
            ("document_id", job.documentID.map(JSONText.quoted) ?? "null"),
            ("duplicate", job.duplicate ? "true" : "false"),
            ("created_at", JSONText.quoted(job.createdAt)),
            ("updated_at", JSONText.quoted(job.updatedAt)),
        ])
    }
}
