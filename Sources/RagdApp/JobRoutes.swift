import RagdAuth
import RagdCore
import RagdHTTP
import RagdPipeline
import RagdStore

/// Background ingestion: `POST /v1/documents?async=true` queues the upload as a job and
/// answers 202 with it (`Location: /v1/jobs/{id}`); `GET /v1/jobs/{id}` shows its state
/// (`queued`, `running`, `succeeded`, `failed`), progress (chunks embedded of the total),
/// attempts, last error and, once done, the document. Jobs are the caller's tenant's only.
enum JobRoutes {
    static func register(on router: inout Router, context: APIContext) {
        router.get("/v1/jobs/{id}") { request in
            let principal = try context.guardian.principal(request, anyOf: [AuthScope.documentsRead, AuthScope.documentsWrite])
            let id = request.pathParameters["id"] ?? ""
            guard Identifier.isUUID(id) else { throw Problem.notFound("No job \(id.prefix(64)).") }
            guard let job = try DocumentRoutes.storeCall({
                try DocumentRoutes.backends(context).store.job(id: id.lowercased(), tenant: principal.tenant)
            }) else {
                throw Problem.notFound("No job \(id).")
            }
            return Response.json(jobJSON(job))
        }
    }

    /// Queues `upload` for the tenant: 202 with the job.
    static func enqueue(_ upload: DocumentRoutes.Upload, tenant: String, context: APIContext) throws -> Response {
        let job = try DocumentRoutes.storeCall {
            try DocumentRoutes.backends(context).store.enqueueJob(
                id: Identifier.uuid(), tenant: tenant, collection: context.settings.milvusCollection, title: upload.title, source: upload.source,
                contentType: upload.contentType, text: upload.text, metadataJSON: upload.metadataJSON,
                pagesJSON: upload.pages.map(PageMapJSON.encode))
        }
        var response = Response.json(jobJSON(job), status: 202)
        response.headers.set("Location", "/v1/jobs/\(job.id)")
        return response
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
