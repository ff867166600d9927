import RagdAuth
import RagdCore
import RagdHTTP
import RagdPipeline

/// `POST /v1/search {query, top_k (1..50), mode: hybrid|vector|keyword, filter?}`.
enum SearchRoutes {
    static let maxQueryLength = 4000

    static func register(on router: inout Router, context: APIContext) {
        router.add("POST", "/v1/search", guardedBy: context.guardian, anyOf: [AuthScope.documentsRead, AuthScope.query]) { request, principal in
            let body = try JSONBody(request)
            try body.allowOnly(["query", "top_k", "mode", "filter"])
            let query = try body.string("query", required: true, maxLength: maxQueryLength, allowEmpty: false)!
            let topK = try body.int("top_k", range: 1...50) ?? 10
            let modeText = try body.string("mode") ?? SearchMode.hybrid.rawValue
            guard let mode = SearchMode(rawValue: modeText) else {
                throw JSONBody.invalid("mode", "must be one of hybrid, vector, keyword")
            }
            let backends = try context.threadBackends()
            let documentIDs = try filterDocumentIDs(body, tenant: principal.tenant, backends: backends)
            let (hits, timings) = try backends.retriever.search(tenant: principal.tenant, query: query, topK: topK, mode: mode,
                                                                documentIDs: documentIDs)
            return Response.json(JSONText.object([
                ("mode", JSONText.quoted(mode.rawValue)),
                ("results", "[" + hits.map(resultJSON).joined(separator: ",") + "]"),
                ("timings", timingsJSON(timings)),
            ]))
        }
    }

    /// `filter: {document_ids?: [uuid], metadata?: {...}}`: the documents to search in, or
    /// nil for all of the tenant's. Metadata matches with jsonb containment (`@>`).
    static func filterDocumentIDs(_ body: JSONBody, tenant: String, backends: ThreadBackends) throws -> [String]? {
        guard let filter = try body.object("filter") else { return nil }
        let allowed: Set<String> = ["document_ids", "metadata"]
        let field = body.fieldPrefix + "filter"
        if let unknown = filter.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw JSONBody.invalid("\(field).\(unknown)", "is not a known filter (expected document_ids, metadata)")
        }
        var ids: [String]?
        if let raw = filter["document_ids"] {
            guard let list = raw as? [Any], list.count <= 1000 else {
                throw JSONBody.invalid("\(field).document_ids", "must be an array of at most 1000 document ids")
            }
            ids = try list.map { item in
                guard let id = item as? String, Identifier.isUUID(id) else {
                    throw JSONBody.invalid("\(field).document_ids", "must contain document ids (UUIDs)")
                }
                return id.lowercased()
            }
        }
        if let raw = filter["metadata"] {
            guard let object = raw as? [String: Any] else { throw JSONBody.invalid("\(field).metadata", "must be an object") }
            try DocumentRoutes.refuseNUL(in: object, field: "\(field).metadata")
            let matching = try backends.store.documentIDs(tenant: tenant, metadataContains: JSONBody.text(object), limit: 1000)
            ids = ids.map { wanted in wanted.filter(matching.contains) } ?? matching
        }
        return ids
    }

    /// `{"embed": 1.2, ...}` in milliseconds: the measured stages, or exactly `stages`
    /// (0 for one that did not run) when given.
    static func timingsJSON(_ timings: StageTimings, stages: [String]? = nil) -> String {
        let names = stages ?? timings.stages.map(\.name)
        return JSONText.object(names.map { ($0, String(((timings.milliseconds($0) ?? 0) * 1000).rounded() / 1000)) })
    }

    static func resultJSON(_ hit: SearchHit) -> String {
        JSONText.object([
            ("chunk_id", JSONText.quoted(hit.chunkID)),
            ("document_id", JSONText.quoted(hit.documentID)),
            ("title", JSONText.quoted(hit.title)),
            ("source", hit.source.map(JSONText.quoted) ?? "null"),
            ("ordinal", String(hit.ordinal)),
            ("text", JSONText.quoted(hit.text)),
            ("page_start", hit.pages.map { String($0.start) } ?? "null"),
            ("page_end", hit.pages.map { String($0.end) } ?? "null"),
            ("score", String(hit.score)),
            ("ranks", JSONText.object([
                ("vector", hit.vectorRank.map(String.init) ?? "null"),
                ("keyword", hit.keywordRank.map(String.init) ?? "null"),
            ])),
        ])
    }
}
