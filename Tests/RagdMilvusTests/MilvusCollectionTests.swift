import Testing
@testable import RagdMilvus

/// Collection life cycle against the real Milvus; each test uses its own collection.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct MilvusCollectionTests {
    @Test func ensureCollectionIsIdempotent() throws {
        try MilvusTestSupport.withCollection("ensure") { client, name throws in
            try client.ensureCollection(name: name, dimension: 8)
            #expect(try client.dimension(of: name) == 8)
            // A second client (another worker) with no cached state.
            let other = try MilvusTestSupport.liveClient()
            try other.ensureCollection(name: name, dimension: 8)
            #expect(try other.dimension(of: name) == 8)
            let described = try #require(try other.describe(name))
            #expect(described.load == "LoadStateLoaded")
        }
    }

    @Test func anotherDimensionIsAClearError() throws {
        try MilvusTestSupport.withCollection("mismatch", dimension: 8) { client, name throws in
            let fresh = try MilvusTestSupport.liveClient()
            for caller in [client, fresh] {
                let error = milvusError { try caller.ensureCollection(name: name, dimension: 16) }
                #expect(error?.code == .dimensionMismatch)
                #expect(error?.message.contains("8-dimensional") == true)
                #expect(error?.message.contains("16-dimensional") == true)
                #expect(error?.message.contains(name) == true)
            }
            // The collection is untouched and still usable with its own dimension.
            try client.ensureCollection(name: name, dimension: 8)
        }
    }

    @Test func unloadedCollectionIsLoadedAgain() throws {
        try MilvusTestSupport.withCollection("reload") { client, name throws in
            try client.insert(collection: name, rows: [MilvusRow(chunkID: "c1", documentID: "d1", tenant: "t",
                                                                  vector: MilvusTestSupport.axis(0))])
            try release(client, name)
            #expect(try client.describe(name)?.load == "LoadStateNotLoad")

            let noManagement = try MilvusTestSupport.liveClient(.init(host: MilvusTestSupport.host, port: MilvusTestSupport.port,
                                                                       managementPort: nil))
            #expect(milvusError { try noManagement.ensureCollection(name: name, dimension: 8) }?.code == .rejected)

            try client.ensureCollection(name: name, dimension: 8)
            #expect(try client.describe(name)?.load == "LoadStateLoaded")
            let hits = try client.search(collection: name, vector: MilvusTestSupport.axis(0), tenant: "t", limit: 5)
            #expect(hits.map(\.chunkID) == ["c1"])
        }
    }

    @Test func foreignLayoutIsRefused() throws {
        let client = try MilvusTestSupport.liveClient()
        let name = MilvusTestSupport.uniqueCollectionName("foreign")
        defer { _ = try? client.drop(collection: name) }
        // Made by someone else with the L2 metric.
        let _: MilvusIgnored? = try client.call("POST", "/v1/vector/collections/create",
                                                body: #"{"collectionName":"\#(name)","dimension":8,"metricType":"L2"}"#,
                                                operation: "test create")
        let error = milvusError { try client.ensureCollection(name: name, dimension: 8) }
        #expect(error?.code == .incompatibleSchema)
        #expect(error?.message.contains("L2") == true)
    }

    @Test func dropReportsWhetherItExisted() throws {
        let client = try MilvusTestSupport.liveClient()
        let name = MilvusTestSupport.uniqueCollectionName("drop")
        try client.ensureCollection(name: name, dimension: 4)
        #expect(try client.drop(collection: name))
        #expect(try client.describe(name) == nil)
        #expect(try !client.drop(collection: name))
        let error = milvusError { _ = try client.dimension(of: name) }
        #expect(error?.code == .rejected)
        #expect(error?.milvusCode == 100)
    }

    @Test func badArgumentsAreRefusedBeforeSending() throws {
        let client = try MilvusTestSupport.liveClient()
        #expect(milvusError { try client.ensureCollection(name: "bad-name", dimension: 8) }?.code == .invalidInput)
        #expect(milvusError { try client.ensureCollection(name: "ok_name", dimension: 0) }?.code == .invalidInput)
        #expect(milvusError { try client.ensureCollection(name: "ok_name", dimension: 40_000) }?.code == .invalidInput)
        #expect(milvusError { try client.drop(collection: "x\" or 1") }?.code == .invalidInput)
    }

    /// Releases a collection through the management API (REST v1 has no release call).
    private func release(_ client: MilvusClient, _ name: String) throws {
        struct Answer: Decodable {}
        let _: Answer = try client.exchange("DELETE", "/api/v1/collection/load", body: #"{"collection_name":"\#(name)"}"#,
                                            operation: "test release", baseURL: client.managementURL)
    }
}
