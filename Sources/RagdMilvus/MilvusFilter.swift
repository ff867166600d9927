/// A Milvus boolean expression built from validated values. This is the only place where
/// tenants and ids become part of an expression, so no input can change its shape.
///
/// Two independent guards apply to every value: it must match a strict allow-list
/// (checked before any request, failing with `.invalidInput`), and it is then written as
/// a double-quoted string literal with backslash and double quote escaped. Either guard
/// alone keeps a value inside its literal; the allow-list also keeps out characters
/// (newlines, non-ASCII, `%`) that have no business in an id.
public struct MilvusFilter: Sendable, Equatable, CustomStringConvertible {
    /// The expression text, for example `tenant == "acme" && document_id in ["d1"]`.
    public let expression: String

    private init(_ expression: String) { self.expression = expression }

    /// The expression text.
    public var description: String { expression }

    /// Most ids accepted in one `in [...]` list. Default: 1024.
    public static let maxListCount = 1024

    // MARK: - Builders

    /// Rows of one tenant: `tenant == "<tenant>"`.
    public static func tenant(_ tenant: String) throws(MilvusError) -> MilvusFilter {
        try validateTenant(tenant)
        return MilvusFilter("\(MilvusSchema.tenantField) == \(stringLiteral(tenant))")
    }

    /// Rows of one tenant, optionally only those of the given documents:
    /// `tenant == "<tenant>" && document_id in [...]`. An empty `documentIDs` list is
    /// refused (it would match nothing; callers short-cut that case).
    public static func tenant(_ tenant: String, documentIDs: [String]?) throws(MilvusError) -> MilvusFilter {
        let base = try Self.tenant(tenant)
        guard let documentIDs else { return base }
        return MilvusFilter("\(base.expression) && \(MilvusSchema.documentField) in \(try list(documentIDs, what: "document id"))")
    }

    /// The chunks of one document of one tenant:
    /// `tenant == "<tenant>" && document_id == "<id>"`.
    public static func document(_ documentID: String, tenant: String) throws(MilvusError) -> MilvusFilter {
        let base = try Self.tenant(tenant)
        try validateID(documentID, what: "document id")
        return MilvusFilter("\(base.expression) && \(MilvusSchema.documentField) == \(stringLiteral(documentID))")
    }

    /// Chunks by id, in any tenant: `chunk_id in [...]`.
    public static func chunks(_ chunkIDs: [String]) throws(MilvusError) -> MilvusFilter {
        MilvusFilter("\(MilvusSchema.chunkField) in \(try list(chunkIDs, what: "chunk id"))")
    }

    /// Rows by Milvus primary key (integers, so nothing to escape): `id in [...]`.
    static func primaryKeys(_ keys: [Int64]) -> MilvusFilter {
        MilvusFilter("\(MilvusSchema.primaryField) in [\(keys.map(String.init).joined(separator: ","))]")
    }

    // MARK: - Validation

    /// Allowed tenants: 1-64 characters of `A-Z a-z 0-9 . _ -`.
    public static func validateTenant(_ tenant: String) throws(MilvusError) {
        guard isAllowed(tenant, maxLength: 64, extra: []) else {
            // The value is not echoed: it may be hostile, and messages end up in logs.
            throw MilvusError(.invalidInput, "tenant must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'")
        }
    }

    /// Allowed chunk and document ids: 1-128 characters of `A-Z a-z 0-9 . _ - :`
    /// (UUIDs, hex digests and `doc:3`-style compound ids).
    public static func validateID(_ id: String, what: String = "id") throws(MilvusError) {
        guard isAllowed(id, maxLength: 128, extra: [UInt8(ascii: ":")]) else {
            throw MilvusError(.invalidInput, "\(what) must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', '-' and ':'")
        }
    }

    // MARK: - Text

    /// `value` as a Milvus string literal: double-quoted, with `\` and `"` escaped.
    /// Validated values contain neither; this is the second guard, not the first.
    static func stringLiteral(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func list(_ ids: [String], what: String) throws(MilvusError) -> String {
        guard !ids.isEmpty, ids.count <= maxListCount else {
            throw MilvusError(.invalidInput, "between 1 and \(maxListCount) \(what)s are needed, got \(ids.count)")
        }
        var parts: [String] = []
        parts.reserveCapacity(ids.count)
        for id in ids {
            try validateID(id, what: what)
            parts.append(stringLiteral(id))
        }
        return "[" + parts.joined(separator: ",") + "]"
    }

    private static func isAllowed(_ value: String, maxLength: Int, extra: [UInt8]) -> Bool {
        let bytes = value.utf8
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        return bytes.allSatisfy { byte in
            MilvusSchema.isLetter(byte) || MilvusSchema.isDigit(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                || extra.contains(byte)
        }
    }
}
