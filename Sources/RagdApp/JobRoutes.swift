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
            return try WireJSON.response(ListBody(data: jobs.map(JobObject.init)))
        }

        router.add("GET", "/v1/jobs/{id}", guardedBy: context.guardian, anyOf: readers) { request, principal in
            let id = request.pathParameters["id"] ?? ""
            guard Identifier.isUUID(id) else { throw Problem.notFound("No job \(id.prefix(64)).") }
            guard let job = try context.threadBackends().store.job(id: id.lowercased(), tenant: principal.tenant) else {
                throw Problem.notFound("No job \(id).")
            }
            return try WireJSON.response(JobObject(job))
        }
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
}
