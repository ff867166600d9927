import RagdCore
import RagdHTTP
import RagdStore

/// The `filter` of `/v1/search`, `/v1/query` and the chat route's `ragd` extension:
/// `{document_ids?: [uuid], metadata?: {...}}`, the documents to search in. Read from the
/// body before any backend is reached (`parse`), so a malformed filter is a 422 even while
/// PostgreSQL is down; only the metadata match needs the store (`documentIDs`).
struct SearchFilter {
    /// The ids given, lower-cased; nil when the filter names none.
    var documentIDs: [String]?
    /// The metadata object to match with jsonb containment (`@>`), as JSON text.
    var metadataJSON: String?

    /// `body`'s `filter`, checked; nil without one (all of the tenant's documents).
    static func parse(_ body: JSONBody) throws -> SearchFilter? {
        guard let filter = try body.object("filter") else { return nil }
        let allowed: Set<String> = ["document_ids", "metadata"]
        let field = body.fieldPrefix + "filter"
        if let unknown = filter.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw JSONBody.invalid("\(field).\(unknown)", "is not a known filter (expected document_ids, metadata)")
        }
        var parsed = SearchFilter()
        if let raw = filter["document_ids"] {
            guard let list = raw as? [Any], list.count <= 1000 else {
                throw JSONBody.invalid("\(field).document_ids", "must be an array of at most 1000 document ids")
            }
            parsed.documentIDs = try list.map { item in
                guard let id = item as? String, Identifier.isUUID(id) else {
                    throw JSONBody.invalid("\(field).document_ids", "must contain document ids (UUIDs)")
                }
                return id.lowercased()
            }
        }
        if let raw = filter["metadata"] {
            guard let object = raw as? [String: Any] else { throw JSONBody.invalid("\(field).metadata", "must be an object") }
            try MetadataJSON.refuseNUL(in: object, field: "\(field).metadata")
            parsed.metadataJSON = JSONBody.text(object)
        }
        return parsed
    }

    /// The documents the filter allows: the given ids, the tenant's documents whose
    /// metadata contains the object (at most 1000), or, with both, the ids that match it.
    func documentIDs(tenant: String, store: DocumentStore) throws -> [String]? {
        guard let metadataJSON else { return documentIDs }
        let matching = try store.documentIDs(tenant: tenant, metadataContains: metadataJSON, limit: 1000)
        return documentIDs.map { wanted in wanted.filter(matching.contains) } ?? matching
    }
}
