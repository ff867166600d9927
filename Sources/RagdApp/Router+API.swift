import RagdAuth
import RagdHTTP

/// A `/v1` handler: the request and the caller it was authenticated as.
typealias APIHandler = @Sendable (Request, Principal) throws -> Response

extension Router {
    /// Registers a `/v1` route: the caller must hold one of `scopes` (401/403 before the
    /// handler runs), and whatever the handler throws that is not already a `Problem` (a
    /// PostgreSQL, Milvus, embedder or LLM failure) is mapped here, once, by
    /// `APIGuard.problem`, so handlers just `try` their backend calls. Without this a
    /// dependency failure would be the `Responder`'s bare 500 instead of its 502/503/504
    /// naming the dependency (and the cause `ServerFaultLog` records).
    mutating func add(_ method: String, _ template: String, guardedBy guardian: APIGuard, anyOf scopes: [String],
                      _ handler: @escaping APIHandler) {
        add(method, template) { request in
            let principal = try guardian.principal(request, anyOf: scopes)
            do {
                return try handler(request, principal)
            } catch {
                throw APIGuard.problem(error)
            }
        }
    }
}
