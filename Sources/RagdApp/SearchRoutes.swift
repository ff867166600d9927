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
            let filter = try SearchFilter.parse(body)
            let backends = try context.threadBackends()
            let documentIDs = try filter?.documentIDs(tenant: principal.tenant, store: backends.store)
            let (hits, timings) = try backends.retriever.search(tenant: principal.tenant, query: query, topK: topK, mode: mode,
                                                                documentIDs: documentIDs)
            return try WireJSON.response(SearchBody(mode: mode.rawValue, results: hits.map(SearchResult.init),
                                                    timings: Dictionary(uniqueKeysWithValues: timings.roundedMilliseconds())))
        }
    }
}
