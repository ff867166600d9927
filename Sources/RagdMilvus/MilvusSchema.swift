/// How ragd lays out a collection, and what Milvus 2.3's REST v1 lets it choose.
///
/// `POST /v1/vector/collections/create` in 2.3 ("quick setup") takes only the name, the
/// dimension, the metric and the names of the primary and vector fields. It always makes
/// the primary key an auto-generated INT64 and turns on the dynamic field, so the
/// scalars ragd needs (`chunk_id`, `document_id`, `tenant`) are stored as dynamic keys:
/// Milvus keeps them in its `$meta` JSON column, and filters, `count(*)` queries and
/// deletes by expression work on them. The REST layer offers no way to declare VARCHAR
/// fields or a VARCHAR primary key, so the chunk id is not the primary key: inserting a
/// chunk twice stores it twice, and callers delete a document before re-inserting it.
enum MilvusSchema {
    /// The auto-generated INT64 primary key.
    static let primaryField = "id"
    /// The float vector field.
    static let vectorField = "vector"
    /// Dynamic key holding the chunk id.
    static let chunkField = "chunk_id"
    /// Dynamic key holding the document id.
    static let documentField = "document_id"
    /// Dynamic key holding the tenant.
    static let tenantField = "tenant"
    /// COSINE is supported by Milvus 2.3 (AUTOINDEX with metric COSINE); scores are
    /// cosine similarities, larger is nearer, and vectors need no normalising.
    static let metricType = "COSINE"

    /// Largest `limit` (top-k) Milvus 2.3 accepts for a search or query.
    static let maxLimit = 16_384
    /// Largest dimension Milvus 2.3 accepts for a float vector.
    static let maxDimension = 32_768

    /// Milvus collection names: a letter or underscore, then letters, digits and
    /// underscores, at most 255 characters.
    static func validateCollectionName(_ name: String) throws(MilvusError) {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 255,
              isLetter(first) || first == UInt8(ascii: "_"),
              bytes.allSatisfy({ isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") })
        else {
            throw MilvusError(.invalidInput,
                              "collection name must be 1-255 characters of letters, digits and underscores, starting with a letter or underscore")
        }
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
