import RagdAuth
import RagdCore
import RagdHTTP
import RagdPipeline
import RagdStore
import RagdText

/// `/v1/documents`: ingest, list, read, chunks, delete. Every call is scoped to the
/// caller's tenant; another tenant's document answers exactly like a missing one (404).
enum DocumentRoutes {
    static func register(on router: inout Router, context: APIContext) {
        let guardian = context.guardian

        router.add("POST", "/v1/documents", guardedBy: guardian, anyOf: [AuthScope.documentsWrite]) { request, principal in
            let background = try queryBool(request, "async") ?? false
            let parsing = Clock.monotonicNanoseconds()
            let form = try Upload.multipartParts(request)
            if let form, BatchUpload.isBatch(form) {
                // Several files: only as background jobs, so no serving thread embeds a
                // whole batch while nginx and the client wait.
                guard background else {
                    throw JSONBody.invalid("files", "several files (parts named files) are accepted only with async=true")
                }
                let uploads = try BatchUpload.parse(form, reader: Upload.binaryReader(context.settings), limits: BatchUpload.Limits(
                    textBytes: context.settings.maxBodyBytes))
                return try enqueueBatch(uploads, tenant: principal.tenant, context: context)
            }
            let upload = try Upload.parse(request, form: form, reader: Upload.binaryReader(context.settings))
            let parsed = Clock.monotonicNanoseconds()
            if background { return try enqueue(upload, tenant: principal.tenant, context: context) }
            let result = try context.threadBackends().ingestor.ingest(upload, tenant: principal.tenant)
            var fields = documentFields(result.document)
            fields.append(("duplicate", result.duplicate ? "true" : "false"))
            var timings = result.timings
            // PDF and Word: the time their readers took (the child processes included).
            if DocumentFormat(mediaType: upload.contentType)?.isBinary == true {
                timings.add("extract", milliseconds: Double(parsed - parsing) / 1e6)
            }
            fields.append(("timings", timings.json()))
            var response = Response.json(JSONText.object(fields), status: result.duplicate ? 200 : 201)
            response.headers.set("Location", "/v1/documents/\(result.document.id)")
            return response
        }

        router.add("GET", "/v1/documents", guardedBy: guardian, anyOf: [AuthScope.documentsRead]) { request, principal in
            let limit = try queryInt(request, "limit", default: 20, range: 1...100)
            let after = try request.queryValue("cursor").map(Cursor.decode)
            let documents = try context.threadBackends().store.listDocuments(tenant: principal.tenant, limit: limit, after: after)
            let next = documents.count == limit ? documents.last.map { Cursor.encode(createdAt: $0.createdAt, id: $0.id) } : nil
            return Response.json(JSONText.object([
                ("data", "[" + documents.map { JSONText.object(documentFields($0)) }.joined(separator: ",") + "]"),
                ("next_cursor", next.map(JSONText.quoted) ?? "null"),
            ]))
        }

        router.add("GET", "/v1/documents/{id}", guardedBy: guardian, anyOf: [AuthScope.documentsRead]) { request, principal in
            let id = try documentID(request)
            guard let document = try context.threadBackends().store.document(id: id, tenant: principal.tenant) else {
                throw Problem.notFound("No document \(id).")
            }
            return Response.json(JSONText.object(documentFields(document)))
        }

        router.add("GET", "/v1/documents/{id}/chunks", guardedBy: guardian, anyOf: [AuthScope.documentsRead]) { request, principal in
            let id = try documentID(request)
            let limit = try queryInt(request, "limit", default: 100, range: 1...1000)
            let offset = try queryInt(request, "offset", default: 0, range: 0...1_000_000)
            let store = try context.threadBackends().store
            guard try store.document(id: id, tenant: principal.tenant) != nil else {
                throw Problem.notFound("No document \(id).")
            }
            let chunks = try store.chunks(documentID: id, tenant: principal.tenant, limit: limit, offset: offset)
            return try WireJSON.response(ChunkList(documentID: id, data: chunks.map(ChunkList.Chunk.init),
                                                   nextOffset: chunks.count == limit ? offset + limit : nil))
        }

        router.add("DELETE", "/v1/documents/{id}", guardedBy: guardian, anyOf: [AuthScope.documentsWrite]) { request, principal in
            let id = try documentID(request)
            guard try context.threadBackends().ingestor.delete(documentID: id, tenant: principal.tenant) else { throw Problem.notFound("No document \(id).") }
            return Response(status: 204)
        }
    }

    // MARK: background ingestion

    /// Queues `upload` for the tenant: 202 with the job.
    static func enqueue(_ upload: UploadedDocument, tenant: String, context: APIContext) throws -> Response {
        let job = try context.threadBackends().store.enqueueJob(NewJob(id: Identifier.uuid(), document: upload), tenant: tenant,
                                                                collection: context.settings.milvusCollection)
        var response = try WireJSON.response(JobObject(job), status: 202)
        response.headers.set("Location", "/v1/jobs/\(job.id)")
        return response
    }

    /// Queues every upload of a batch for the tenant in one transaction (all or none): 202
    /// with the jobs in the order of the files. No `Location`: there is no one resource;
    /// each job is at `/v1/jobs/{id}`, and `GET /v1/jobs?ids=` reads them together.
    static func enqueueBatch(_ uploads: [UploadedDocument], tenant: String, context: APIContext) throws -> Response {
        let jobs = try context.threadBackends().store.enqueueJobs(uploads.map { NewJob(id: Identifier.uuid(), document: $0) },
                                                                  tenant: tenant, collection: context.settings.milvusCollection)
        return try WireJSON.response(ListBody(data: jobs.map(JobObject.init)), status: 202)
    }

    // MARK: small helpers

    static func documentID(_ request: Request) throws -> String {
        let id = request.pathParameters["id"] ?? ""
        // Not a UUID cannot exist: the same 404 as a missing or foreign document.
        guard Identifier.isUUID(id) else { throw Problem.notFound("No document \(id.prefix(64)).") }
        return id.lowercased()
    }

    static func queryInt(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.queryValue(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw JSONBody.invalid(name, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    static func queryBool(_ request: Request, _ name: String) throws -> Bool? {
        guard let text = request.queryValue(name) else { return nil }
        switch text {
        case "true", "1": return true
        case "false", "0": return false
        default: throw JSONBody.invalid(name, "must be true or false")
        }
    }

    /// Still JSON text, not a wire type: `metadata` is spliced in as PostgreSQL printed the
    /// jsonb. JSONEncoder cannot embed raw JSON, and decoding it to encode it again would
    /// round numbers jsonb keeps exactly (big integers, long decimals).
    static func documentFields(_ document: DocumentRecord) -> [(String, String)] {
        [
            ("id", JSONText.quoted(document.id)),
            ("title", JSONText.quoted(document.title)),
            ("source", document.source.map(JSONText.quoted) ?? "null"),
            ("content_type", JSONText.quoted(document.contentType)),
            ("sha256", JSONText.quoted(document.sha256)),
            ("metadata", document.metadataJSON), // jsonb as PostgreSQL printed it: valid JSON
            ("status", JSONText.quoted(document.status)),
            ("chunks", String(document.chunkCount)),
            ("bytes", String(document.byteSize)),
            ("pages", document.pageCount.map(String.init) ?? "null"),
            ("created_at", JSONText.quoted(document.createdAt)),
            ("updated_at", JSONText.quoted(document.updatedAt)),
        ]
    }
}
