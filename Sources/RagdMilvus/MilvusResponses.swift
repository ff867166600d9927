/// Milvus REST v1 answers are `{"code": 200, "data": ...}` on success and
/// `{"code": N, "message": "..."}` on failure, both with HTTP status 200.
struct MilvusEnvelope<Payload: Decodable>: Decodable {
    var code: Int
    var message: String?
    var data: Payload?

    private enum CodingKeys: String, CodingKey { case code, message, data }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(Int.self, forKey: .code)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        // Only a success carries a payload of the expected shape.
        data = code == 200 ? try container.decodeIfPresent(Payload.self, forKey: .data) : nil
    }
}

/// Any payload, ignored (drop, delete, create answer `{}`).
struct MilvusIgnored: Decodable {
    init(from decoder: any Decoder) throws {}
}

/// `GET /v1/vector/collections/describe`.
struct MilvusCollectionDescription: Decodable {
    struct Field: Decodable {
        var name: String
        var type: String
        var primaryKey: Bool?
        var autoId: Bool?
    }
    struct Index: Decodable {
        var fieldName: String?
        var metricType: String?
    }
    var collectionName: String?
    var fields: [Field]?
    var indexes: [Index]?
    /// `LoadStateLoaded`, `LoadStateLoading`, `LoadStateNotLoad`, or empty.
    var load: String?
    /// 2.3.5 spells it `enableDynamicField`; some 2.3 builds `enableDynamic`.
    var enableDynamicField: Bool?
    var enableDynamic: Bool?
}

/// `POST /v1/vector/insert`.
struct MilvusInsertResult: Decodable {
    var insertCount: Int
    /// INT64 primary keys, as strings (JSON numbers would lose precision).
    var insertIds: [MilvusInt64]
}

/// An INT64 that Milvus writes as a string (or, in some answers, a number).
struct MilvusInt64: Decodable {
    var value: Int64

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            value = number
        } else {
            let text = try container.decode(String.self)
            guard let number = Int64(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an INT64")
            }
            value = number
        }
    }
}

/// One row of `POST /v1/vector/search`; the dynamic keys come back as top-level keys.
struct MilvusSearchRow: Decodable {
    var distance: Double
    var chunk_id: String?
    var document_id: String?
    var tenant: String?
}

/// The one row of a `count(*)` query.
struct MilvusCountRow: Decodable {
    var count: MilvusInt64

    private enum CodingKeys: String, CodingKey { case count = "count(*)" }
}
