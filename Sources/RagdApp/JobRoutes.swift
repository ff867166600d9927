import Foundation
import RagdAuth
import RagdCore
import RagdHTTP
import RagdPipeline
import RagdStore

/// Background ingestion: `POST /v1/documents?async=true` queues the upload as a job and
/// answers 202 with it (`Location: /v1/jobs/{id}`), or, in the batch form (file parts
/// named `files`), queues one job per file in one transaction and answers 202 with the
/// list; `GET /v1/jobs/{id}` shows a job's state (`queued`, `running`, `succeeded`,
/// `failed`), progress (chunks embedded of the total), attempts, last error and, once
/// done, the document; `GET /v1/jobs?ids=` shows several at once. Jobs are the caller's
/// tenant's only.
enum JobRoutes {
    /// Most ids one `GET /v1/jobs` may ask for (about 3.7 KB of query string, well within
    /// nginx's 8 KB request line).
    static let maxIDs = 100

    static func register(on router: inout Router, context: APIContext) {
        let readers = [AuthScope.documentsRead, AuthScope.documentsWrite]
        router.add("GET", "/v1/jobs", guardedBy: context.guardian, anyOf: readers) { request, principal in
            let ids = try jobIDs(request)
            let jobs = try context.threadBackends().store.jobs(ids: ids, tenant: principal.tenant)
            return Response.json(listJSON(jobs))
        }

        router.add("GET", "/v1/jobs/{id}", guardedBy: context.guardian, anyOf: readers) { request, principal in
            let id = request.pathParameters["id"] ?? ""
            guard Identifier.isUUID(id) else { throw Problem.notFound("No job \(id.prefix(64)).") }
            guard let job = try context.threadBackends().store.job(id: id.lowercased(), tenant: principal.tenant) else {
                throw Problem.notFound("No job \(id).")
            }
            return Response.json(jobJSON(job))
        }
    }

    /// Queues `upload` for the tenant: 202 with the job.
    static func enqueue(_ upload: DocumentRoutes.Upload, tenant: String, context: APIContext) throws -> Response {
        let job = try context.threadBackends().store.enqueueJob(
            id: Identifier.uuid(), tenant: tenant, collection: context.settings.milvusCollection, title: upload.title, source: upload.source,
            contentType: upload.contentType, text: upload.text, metadataJSON: upload.metadataJSON,
            pagesJSON: upload.pages.map(PageMapJSON.encode))
        var response = Response.json(jobJSON(job), status: 202)
        response.headers.set("Location", "/v1/jobs/\(job.id)")
        return response
    }

    /// Queues every upload of a batch for the tenant in one transaction (all or none): 202
    /// with the jobs in the order of the files. No `Location`: there is no one resource;
    /// each job is at `/v1/jobs/{id}`, and `GET /v1/jobs?ids=` reads them together.
    static func enqueueBatch(_ uploads: [DocumentRoutes.Upload], tenant: String, context: APIContext) throws -> Response {
        let jobs = try context.threadBackends().store.enqueueJobs(uploads.map { upload in
            NewJob(id: Identifier.uuid(), title: upload.title, source: upload.source, contentType: upload.contentType,
                   text: upload.text, metadataJSON: upload.metadataJSON, pagesJSON: upload.pages.map(PageMapJSON.encode))
        }, tenant: tenant, collection: context.settings.milvusCollection)
        return Response.json(listJSON(jobs), status: 202)
    }

    /// `ids`: 1 to `maxIDs` job ids, comma-separated, repeats ignored; 422 otherwise.
    static func jobIDs(_ request: Request) throws -> [String] {
        guard let text = request.queryValue("ids"), !text.isEmpty else {
            throw JSONBody.invalid("ids", "is required: 1 to \(maxIDs) job ids separated by commas")
        }
        var ids: [String] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
            let id = piece.trimmingCharacters(in: .whitespaces)
            guard Identifier.isUUID(id) else {
                throw JSONBody.invalid("ids", "must be job ids (UUIDs) separated by commas")
            }
            if !ids.contains(id.lowercased()) { ids.append(id.lowercased()) }
        }
        guard ids.count <= maxIDs else { throw JSONBody.invalid("ids", "must name at most \(maxIDs) jobs") }
        return ids
    }

    static func listJSON(_ jobs: [JobRecord]) -> String {
        JSONText.object([("data", "[" + jobs.map(jobJSON).joined(separator: ",") + "]")])
    }

    static func jobJSON(_ job: JobRecord) -> String {
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
