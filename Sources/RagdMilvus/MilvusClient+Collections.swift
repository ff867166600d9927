extension MilvusClient {
    /// Makes sure `name` exists with `dimension`-sized vectors in ragd's layout and is
    /// loaded (searchable); idempotent, and safe when several workers call it at once
    /// (Milvus accepts a repeated identical create).
    ///
    /// A missing collection is created with REST v1's quick setup: INT64 auto-id key
    /// `id`, FLOAT_VECTOR `vector`, AUTOINDEX with metric COSINE, dynamic fields on.
    /// A collection that is not loaded is loaded through the management port (see
    /// `Configuration.managementPort`). Waits up to `Configuration.loadTimeout`.
    ///
    /// - Throws: `.dimensionMismatch` when it exists with another dimension (a start-up
    ///   error: the embedder changed, reindex into a new collection);
    ///   `.incompatibleSchema` when it was not made this way; `.invalidInput` for a bad
    ///   name or dimension; transport errors as usual.
    public func ensureCollection(name: String, dimension: Int) throws(MilvusError) {
        try MilvusSchema.validateCollectionName(name)
        guard (1...MilvusSchema.maxDimension).contains(dimension) else {
            throw MilvusError(.invalidInput, "vector dimension must be in 1...\(MilvusSchema.maxDimension), got \(dimension)")
        }
        var description = try describe(name)
        if description == nil {
            let body = MilvusJSON.object([
                ("collectionName", MilvusJSON.string(name)),
                ("dimension", String(dimension)),
                ("metricType", MilvusJSON.string(MilvusSchema.metricType)),
                ("primaryField", MilvusJSON.string(MilvusSchema.primaryField)),
                ("vectorField", MilvusJSON.string(MilvusSchema.vectorField)),
            ])
            do {
                let _: MilvusIgnored? = try call("POST", "/v1/vector/collections/create", body: body,
                                                 operation: "create collection \(name)")
            } catch where error.code == .rejected {
                // Another worker may have created it with another dimension in between;
                // the describe below turns that into the clear error.
                guard try describe(name) != nil else { throw error }
            }
            description = try describe(name)
        }
        guard let found = description else {
            throw MilvusError(.rejected, "collection \(name) is missing right after it was created")
        }
        let existing = try checkLayout(found, name: name)
        guard existing == dimension else {
            throw MilvusError(.dimensionMismatch,
                              "Milvus collection \(name) stores \(existing)-dimensional vectors, but the embedder produces \(dimension)-dimensional ones; set MILVUS_COLLECTION to another collection, or run `ragd reindex` to rebuild this one")
        }
        dimensions[name] = dimension
        try waitUntilLoaded(name, state: found.load ?? "")
    }

    /// Drops the collection; returns false when it did not exist.
    @discardableResult
    public func drop(collection name: String) throws(MilvusError) -> Bool {
        try MilvusSchema.validateCollectionName(name)
        dimensions[name] = nil
        do {
            let _: MilvusIgnored? = try call("POST", "/v1/vector/collections/drop",
                                             body: MilvusJSON.object([("collectionName", MilvusJSON.string(name))]),
                                             operation: "drop collection \(name)")
            return true
        } catch where error.milvusCode == 100 {
            return false // collection not found
        }
    }

    /// The vector dimension of an existing collection (cached after the first look).
    /// - Throws: `.rejected` with `milvusCode` 100 when the collection does not exist.
    public func dimension(of name: String) throws(MilvusError) -> Int {
        if let known = dimensions[name] { return known }
        try MilvusSchema.validateCollectionName(name)
        guard let found = try describe(name) else {
            throw MilvusError(.rejected, "Milvus collection \(name) does not exist", milvusCode: 100)
        }
        let dimension = try checkLayout(found, name: name)
        dimensions[name] = dimension
        return dimension
    }

    // MARK: - Helpers

    /// The collection's description, or nil when it does not exist (Milvus code 100).
    func describe(_ name: String) throws(MilvusError) -> MilvusCollectionDescription? {
        do {
            // The name was validated (letters, digits, underscores): safe in a query string.
            return try call("GET", "/v1/vector/collections/describe?collectionName=\(name)", body: nil,
                            operation: "describe collection \(name)")
        } catch where error.milvusCode == 100 {
            return nil
        }
    }

    /// Checks that a collection has ragd's layout and returns its dimension.
    private func checkLayout(_ found: MilvusCollectionDescription, name: String) throws(MilvusError) -> Int {
        let fields = found.fields ?? []
        guard fields.contains(where: { $0.name == MilvusSchema.primaryField && $0.primaryKey == true && $0.type == "Int64" }) else {
            throw MilvusError(.incompatibleSchema, "Milvus collection \(name) has no INT64 primary key \"\(MilvusSchema.primaryField)\"; it was not created by ragd")
        }
        guard (found.enableDynamicField ?? found.enableDynamic) == true else {
            throw MilvusError(.incompatibleSchema, "Milvus collection \(name) has dynamic fields off; it was not created by ragd")
        }
        guard let vector = fields.first(where: { $0.name == MilvusSchema.vectorField }),
              vector.type.hasPrefix("FloatVector("), vector.type.hasSuffix(")"),
              let dimension = Int(vector.type.dropFirst("FloatVector(".count).dropLast())
        else {
            throw MilvusError(.incompatibleSchema, "Milvus collection \(name) has no float vector field \"\(MilvusSchema.vectorField)\"")
        }
        let metric = found.indexes?.first(where: { $0.fieldName == MilvusSchema.vectorField })?.metricType
        guard metric == MilvusSchema.metricType else {
            throw MilvusError(.incompatibleSchema,
                              "Milvus collection \(name) is indexed with metric \(metric ?? "none"), ragd needs \(MilvusSchema.metricType)")
        }
        return dimension
    }

    private func waitUntilLoaded(_ name: String, state initial: String) throws(MilvusError) {
        if initial == "LoadStateLoaded" { return }
        if initial == "LoadStateNotLoad" { try requestLoad(name) }
        var state = initial
        do {
            try poll(timeout: configuration.loadTimeout, what: "loading Milvus collection \(name)") { () throws(MilvusError) -> Bool in
                state = try describe(name)?.load ?? ""
                if state == "LoadStateNotLoad" { try requestLoad(name) }
                return state == "LoadStateLoaded"
            }
        } catch where error.code == .timeout {
            throw MilvusError(.timeout, "Milvus collection \(name) was not loaded within \(configuration.loadTimeout.inSeconds) s (state \(state.isEmpty ? "unknown" : state))")
        }
    }

    /// REST v1 in 2.3 has no load call; the management server's `/api/v1` has.
    private func requestLoad(_ name: String) throws(MilvusError) {
        guard let managementURL else {
            throw MilvusError(.rejected, "Milvus collection \(name) is not loaded, and loading needs the management port (turned off)")
        }
        // This older API answers `{}` on success and `{"error_code": ..., "reason": ...}`
        // (or a `status` object) on failure.
        struct LoadAnswer: Decodable {
            struct Status: Decodable { var error_code: Int?; var reason: String? }
            var error_code: Int?
            var reason: String?
            var status: Status?
        }
        let answer: LoadAnswer = try exchange("POST", "/api/v1/collection/load",
                                              body: MilvusJSON.object([("collection_name", MilvusJSON.string(name))]),
                                              operation: "load collection \(name)", baseURL: managementURL)
        let code = answer.error_code ?? answer.status?.error_code ?? 0
        guard code == 0 else {
            throw MilvusError(.rejected, "load collection \(name): Milvus error \(code): \(Self.excerpt(answer.reason ?? answer.status?.reason ?? ""))",
                              milvusCode: code)
        }
    }
}
