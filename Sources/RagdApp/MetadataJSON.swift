import RagdHTTP

/// A document's `metadata` (a JSON object, stored as jsonb) and the metadata a search
/// filter matches with: the same rules for both.
enum MetadataJSON {
    static let maxBytes = 64 * 1024

    /// `object` as compact JSON text, `{}` when absent; 422 when it holds U+0000 or is too big.
    static func text(_ object: [String: Any]?) throws -> String {
        guard let object else { return "{}" }
        try refuseNUL(in: object, field: "metadata")
        let text = JSONBody.text(object)
        guard text.utf8.count <= maxBytes else { throw JSONBody.invalid("metadata", "must be at most \(maxBytes) bytes of JSON") }
        return text
    }

    /// 422 when a key or string anywhere in a JSON value holds U+0000, which PostgreSQL's
    /// jsonb cannot store.
    static func refuseNUL(in value: Any, field: String) throws {
        switch value {
        case let text as String:
            if text.utf8.contains(0) { throw JSONBody.invalid(field, JSONBody.nulMessage) }
        case let object as [String: Any]:
            for (key, member) in object {
                if key.utf8.contains(0) { throw JSONBody.invalid(field, "keys " + JSONBody.nulMessage) }
                try refuseNUL(in: member, field: field)
            }
        case let list as [Any]:
            for member in list { try refuseNUL(in: member, field: field) }
        default:
            break
        }
    }
}
