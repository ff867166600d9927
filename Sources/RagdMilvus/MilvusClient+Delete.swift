import RagdCore

extension MilvusClient {
    /// Deletes every chunk of one document of one tenant (the same document id under
    /// another tenant is untouched).
    ///
    /// - Parameter waitUntilVisible: poll until searches no longer see the chunks, up to
    ///   `Configuration.visibilityTimeout`. Default: true.
    public func delete(collection: String, documentID: String, tenant: String, waitUntilVisible: Bool = true) throws(MilvusError) {
        try MilvusSchema.validateCollectionName(collection)
        let filter = try MilvusFilter.document(documentID, tenant: tenant)
        try deleteWhere(collection: collection, filter: filter, waitUntilVisible: waitUntilVisible)
    }

    /// Deletes chunks by id, in whatever tenant they are (ids come from PostgreSQL, which
    /// already scoped them). Sent in lists of `MilvusFilter.maxListCount` ids.
    ///
    /// - Parameter waitUntilVisible: as for `delete(collection:documentID:tenant:)`.
    public func delete(collection: String, chunkIDs: [String], waitUntilVisible: Bool = true) throws(MilvusError) {
        try MilvusSchema.validateCollectionName(collection)
        guard !chunkIDs.isEmpty else { return }
        // Build (and so validate) every filter before sending the first delete.
        var filters: [MilvusFilter] = []
        var start = 0
        while start < chunkIDs.count {
            let end = min(start + MilvusFilter.maxListCount, chunkIDs.count)
            filters.append(try MilvusFilter.chunks(Array(chunkIDs[start..<end])))
            start = end
        }
        for filter in filters {
            try deleteWhere(collection: collection, filter: filter, waitUntilVisible: waitUntilVisible)
        }
    }

    /// How many chunks `tenant` has in `collection`, optionally of one document
    /// (a `count(*)` query; for tests and checks, not for hot paths).
    public func count(collection: String, tenant: String, documentID: String? = nil) throws(MilvusError) -> Int {
        try MilvusSchema.validateCollectionName(collection)
        let filter: MilvusFilter
        if let documentID {
            filter = try MilvusFilter.document(documentID, tenant: tenant)
        } else {
            filter = try MilvusFilter.tenant(tenant)
        }
        return try count(collection: collection, filter: filter)
    }

    // MARK: - Internals

    /// Milvus 2.3 deletes by any boolean expression (the proxy looks up the matching
    /// primary keys, then deletes those); the REST answer carries no count.
    func deleteWhere(collection: String, filter: MilvusFilter, waitUntilVisible: Bool) throws(MilvusError) {
        let body = MilvusJSON.object([
            ("collectionName", MilvusJSON.string(collection)),
            ("filter", MilvusJSON.string(filter.expression)),
        ])
        let operation = "delete from \(collection)"
        let _: MilvusIgnored? = try call("POST", "/v1/vector/delete", body: body, operation: operation)
        guard waitUntilVisible else { return }
        // A delete normally shows within a few hundred milliseconds. The proxy's key
        // lookup may miss rows that were not yet visible when it ran (an insert made with
        // `waitUntilVisible: false`, or by another worker a moment ago), so rows still
        // there after a second get the delete again instead of a wait that cannot end.
        var lastSent = Clock.monotonicNanoseconds()
        try poll(timeout: configuration.visibilityTimeout, what: "deleted rows disappearing from \(collection)") { () throws(MilvusError) -> Bool in
            if try count(collection: collection, filter: filter) == 0 { return true }
            if Clock.monotonicNanoseconds() - lastSent > 1_000_000_000 {
                let _: MilvusIgnored? = try call("POST", "/v1/vector/delete", body: body, operation: operation)
                lastSent = Clock.monotonicNanoseconds()
            }
            return false
        }
    }

    func count(collection: String, filter: MilvusFilter) throws(MilvusError) -> Int {
        try count(collection: collection, expression: filter.expression)
    }

    /// `count(*)` for an expression. Only `MilvusFilter` and the tests call it with text
    /// (the tests prove that escaped hostile literals stay literals in Milvus's parser).
    func count(collection: String, expression: String) throws(MilvusError) -> Int {
        // limit 0 leaves the limit out: Milvus refuses count(*) with pagination, and
        // REST v1 would otherwise add its default limit of 100.
        let body = MilvusJSON.object([
            ("collectionName", MilvusJSON.string(collection)),
            ("filter", MilvusJSON.string(expression)),
            ("outputFields", MilvusJSON.strings(["count(*)"])),
            ("limit", "0"),
        ])
        let rows: [MilvusCountRow]? = try call("POST", "/v1/vector/query", body: body, operation: "count rows in \(collection)")
        guard let value = rows?.first?.count.value else {
            throw MilvusError(.invalidResponse, "count rows in \(collection): Milvus returned no count")
        }
        return Int(value)
    }
}
