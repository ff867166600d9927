import RagdCore
import RagdHTTP
import RagdStore

/// The `filter` of `/v1/search`, `/v1/query` and the chat route's `ragd` extension:
/// `{document_ids?: [uuid], metadata?: {...}}`, the documents to search in.
enum SearchFilter {
    /// The documents `body`'s `filter` allows, or nil (no filter: all of the tenant's).
    /// Metadata matches with jsonb containment (`@>`); with both, the ids that match it.
    static func documentIDs(_ body: JSONBody, tenant: String, store: DocumentStore) throws -> [String]? {
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
            try MetadataJSON.refuseNUL(in: object, field: "\(field).metadata")
            let matching = try store.documentIDs(tenant: tenant, metadataContains: JSONBody.text(object), limit: 1000)
            ids = ids.map { wanted in wanted.filter(matching.contains) } ?? matching
        }
        return ids
    }
}
