extension MilvusClient {
    /// The `limit` chunks of `tenant` nearest to `vector`, nearest first. Always
    /// filtered by tenant; `documentIDs` narrows the search to those documents.
    ///
    /// - Parameters:
    ///   - limit: how many hits at most, 1...16384.
    ///   - documentIDs: only these documents (at most `MilvusFilter.maxListCount`); an
    ///     empty list returns no hits without asking Milvus. Default: nil (all of the
    ///     tenant's documents).
    /// - Throws: `.invalidInput` for a bad tenant, id, limit or vector, before any
    ///   request.
    public func search(
        collection: String,
        vector: [Float],
        tenant: String,
        limit: Int,
        documentIDs: [String]? = nil
    ) throws(MilvusError) -> [MilvusHit] {
        try MilvusSchema.validateCollectionName(collection)
        let filter = try MilvusFilter.tenant(tenant, documentIDs: documentIDs?.isEmpty == true ? nil : documentIDs)
        guard (1...MilvusSchema.maxLimit).contains(limit) else {
            throw MilvusError(.invalidInput, "search limit must be in 1...\(MilvusSchema.maxLimit), got \(limit)")
        }
        try Self.validateVector(vector, dimension: nil)
        if documentIDs?.isEmpty == true { return [] }
        try Self.validateVector(vector, dimension: try dimension(of: collection))

        let body = MilvusJSON.object([
            ("collectionName", MilvusJSON.string(collection)),
            ("vector", MilvusJSON.vector(vector)),
            ("filter", MilvusJSON.string(filter.expression)),
            ("limit", String(limit)),
            ("outputFields", MilvusJSON.strings([MilvusSchema.chunkField, MilvusSchema.documentField, MilvusSchema.tenantField])),
        ])
        let rows: [MilvusSearchRow] = try call("POST", "/v1/vector/search", body: body,
                                               operation: "search \(collection)") ?? []
        var hits: [MilvusHit] = []
        hits.reserveCapacity(rows.count)
        // The filter already keeps other tenants out; checking again costs nothing and
        // means a Milvus bug cannot leak another tenant's chunk.
        for row in rows where row.tenant == tenant {
            guard let chunkID = row.chunk_id, let documentID = row.document_id else { continue }
            hits.append(MilvusHit(chunkID: chunkID, documentID: documentID, score: row.distance))
        }
        hits.sort { $0.score > $1.score }
        return hits
    }
}
