/// Rows Milvus stored but that searches may not see yet (REST v1 reads with bounded
/// staleness): `MilvusClient.waitUntilVisible` waits for them. Lets a caller do other
/// work (the keyword postings) while Milvus makes them searchable.
public struct MilvusInsertedRows: Sendable {
    public let collection: String
    /// The primary keys Milvus assigned, one list per insert request.
    let keys: [[Int64]]
    public var count: Int { keys.reduce(0) { $0 + $1.count } }
}

extension MilvusClient {
    /// Stores `rows` in `collection`, `Configuration.insertBatchSize` rows per request,
    /// and returns how many Milvus stored.
    ///
    /// Every row is checked before anything is sent: valid chunk id, document id and
    /// tenant (`MilvusFilter`), a vector of the collection's dimension, finite and not
    /// all zero (a zero vector has no direction under COSINE). When a batch fails, the
    /// batches already stored by this call are deleted again (best effort) so a failed
    /// insert leaves nothing behind.
    ///
    /// - Parameter waitUntilVisible: poll until searches see every inserted row (REST v1
    ///   reads with bounded staleness, about 200-400 ms behind), up to
    ///   `Configuration.visibilityTimeout`. Default: true.
    /// - Throws: `.invalidInput` before any request; `.timeout` when the rows were stored
    ///   but did not become visible in time.
    @discardableResult
    public func insert(collection: String, rows: [MilvusRow], waitUntilVisible: Bool = true) throws(MilvusError) -> Int {
        let inserted = try insertWithoutWaiting(collection: collection, rows: rows)
        if waitUntilVisible { try self.waitUntilVisible(inserted) }
        return inserted.count
    }

    /// `insert` without the wait: the rows are stored (same checks, same rollback of a
    /// failed insert), and `waitUntilVisible` tells when searches see them.
    public func insertWithoutWaiting(collection: String, rows: [MilvusRow]) throws(MilvusError) -> MilvusInsertedRows {
        try MilvusSchema.validateCollectionName(collection)
        guard !rows.isEmpty else { return MilvusInsertedRows(collection: collection, keys: []) }
        for (index, row) in rows.enumerated() {
            do {
                try MilvusFilter.validateID(row.chunkID, what: "chunk id")
                try MilvusFilter.validateID(row.documentID, what: "document id")
                try MilvusFilter.validateTenant(row.tenant)
                try Self.validateVector(row.vector, dimension: nil)
            } catch {
                throw MilvusError(.invalidInput, "row \(index): \(error.message)")
            }
        }
        let dimension = try self.dimension(of: collection)
        for (index, row) in rows.enumerated() where row.vector.count != dimension {
            throw MilvusError(.invalidInput, "row \(index): vector has \(row.vector.count) dimensions, collection \(collection) has \(dimension)")
        }

        var stored: [[Int64]] = []
        var start = 0
        while start < rows.count {
            let batch = rows[start..<min(start + configuration.insertBatchSize, rows.count)]
            do {
                let result = try insertBatch(collection: collection, batch)
                stored.append(result.insertIds.map(\.value))
            } catch {
                rollBack(collection: collection, stored)
                throw error
            }
            start += batch.count
        }
        return MilvusInsertedRows(collection: collection, keys: stored)
    }

    /// Polls until searches see every row of `inserted`, up to
    /// `Configuration.visibilityTimeout` per insert request.
    /// - Throws: `.timeout` when they did not become visible in time.
    public func waitUntilVisible(_ inserted: MilvusInsertedRows) throws(MilvusError) {
        for keys in inserted.keys {
            let filter = MilvusFilter.primaryKeys(keys)
            try poll(timeout: configuration.visibilityTimeout, what: "new rows becoming searchable in \(inserted.collection)") { () throws(MilvusError) -> Bool in
                try self.count(collection: inserted.collection, filter: filter) >= keys.count
            }
        }
    }

    private func insertBatch(collection: String, _ batch: ArraySlice<MilvusRow>) throws(MilvusError) -> MilvusInsertResult {
        var data = "["
        for (offset, row) in batch.enumerated() {
            if offset > 0 { data += "," }
            data += MilvusJSON.object([
                (MilvusSchema.vectorField, MilvusJSON.vector(row.vector)),
                (MilvusSchema.chunkField, MilvusJSON.string(row.chunkID)),
                (MilvusSchema.documentField, MilvusJSON.string(row.documentID)),
                (MilvusSchema.tenantField, MilvusJSON.string(row.tenant)),
            ])
        }
        data += "]"
        let body = MilvusJSON.object([("collectionName", MilvusJSON.string(collection)), ("data", data)])
        let result: MilvusInsertResult? = try call("POST", "/v1/vector/insert", body: body,
                                                   operation: "insert \(batch.count) rows into \(collection)")
        guard let result, result.insertIds.count == batch.count else {
            throw MilvusError(.invalidResponse, "insert into \(collection): Milvus did not report \(batch.count) new ids")
        }
        return result
    }

    /// Deletes the rows of earlier batches of a failed insert; errors are swallowed
    /// because the insert's own error is the one to report.
    private func rollBack(collection: String, _ stored: [[Int64]]) {
        for keys in stored {
            try? deleteWhere(collection: collection, filter: MilvusFilter.primaryKeys(keys), waitUntilVisible: false)
        }
    }

    /// Finite, not all zero, and (when given) of `dimension` elements.
    static func validateVector(_ vector: [Float], dimension: Int?) throws(MilvusError) {
        guard !vector.isEmpty else { throw MilvusError(.invalidInput, "vector is empty") }
        if let dimension, vector.count != dimension {
            throw MilvusError(.invalidInput, "vector has \(vector.count) dimensions, the collection has \(dimension)")
        }
        guard vector.allSatisfy(\.isFinite) else {
            throw MilvusError(.invalidInput, "vector contains NaN or infinity")
        }
        guard vector.contains(where: { $0 != 0 }) else {
            throw MilvusError(.invalidInput, "vector is all zeros")
        }
    }
}
