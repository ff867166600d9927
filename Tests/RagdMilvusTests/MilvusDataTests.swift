import Testing
@testable import RagdMilvus

/// Insert, search, delete and count against the real Milvus. No sleeps: the client's own
/// visibility wait must make every write visible to the very next read.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct MilvusDataTests {
    typealias S = MilvusTestSupport

    /// Tenants a and b hold the same documents with identical vectors.
    private func seed(_ client: MilvusClient, _ name: String) throws {
        var rows: [MilvusRow] = []
        for tenant in ["a", "b"] {
            rows.append(MilvusRow(chunkID: "\(tenant)-c1", documentID: "d1", tenant: tenant, vector: S.axis(0)))
            rows.append(MilvusRow(chunkID: "\(tenant)-c2", documentID: "d1", tenant: tenant, vector: S.blend(0, 1, weight: 0.3)))
            rows.append(MilvusRow(chunkID: "\(tenant)-c3", documentID: "d2", tenant: tenant, vector: S.blend(0, 1, weight: 0.8)))
            rows.append(MilvusRow(chunkID: "\(tenant)-c4", documentID: "d3", tenant: tenant, vector: S.axis(2)))
        }
        #expect(try client.insert(collection: name, rows: rows) == 8)
    }

    @Test func searchReturnsNearestFirstAndOnlyTheTenantsRows() throws {
        try S.withCollection("search") { client, name throws in
            try seed(client, name)
            let hits = try client.search(collection: name, vector: S.axis(0), tenant: "a", limit: 10)
            #expect(hits.map(\.chunkID) == ["a-c1", "a-c2", "a-c3", "a-c4"])
            #expect(hits.map(\.documentID) == ["d1", "d1", "d2", "d3"])
            #expect(abs(hits[0].score - 1) < 1e-4)
            #expect(abs(hits[3].score) < 1e-4)
            #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.score >= $1.score })

            let limited = try client.search(collection: name, vector: S.axis(1), tenant: "b", limit: 2)
            #expect(limited.map(\.chunkID) == ["b-c3", "b-c2"])
            #expect(try client.search(collection: name, vector: S.axis(0), tenant: "c", limit: 10).isEmpty)
            #expect(try client.count(collection: name, tenant: "a") == 4)
            #expect(try client.count(collection: name, tenant: "b", documentID: "d1") == 2)
        }
    }

    @Test func documentRestriction() throws {
        try S.withCollection("docs") { client, name throws in
            try seed(client, name)
            let d2 = try client.search(collection: name, vector: S.axis(0), tenant: "a", limit: 10, documentIDs: ["d2"])
            #expect(d2.map(\.chunkID) == ["a-c3"])
            let some = try client.search(collection: name, vector: S.axis(0), tenant: "b", limit: 10,
                                         documentIDs: ["d1", "d3", "missing"])
            #expect(some.map(\.chunkID) == ["b-c1", "b-c2", "b-c4"])
            #expect(try client.search(collection: name, vector: S.axis(0), tenant: "a", limit: 10, documentIDs: []).isEmpty)
        }
    }

    @Test func deleteByDocumentRemovesOnlyThatDocumentOfThatTenant() throws {
        try S.withCollection("deldoc") { client, name throws in
            try seed(client, name)
            try client.delete(collection: name, documentID: "d1", tenant: "a")
            let hits = try client.search(collection: name, vector: S.axis(0), tenant: "a", limit: 10)
            #expect(hits.map(\.chunkID) == ["a-c3", "a-c4"])
            #expect(try client.count(collection: name, tenant: "a", documentID: "d1") == 0)
            #expect(try client.count(collection: name, tenant: "a") == 2)
            // Tenant b's document with the same id is untouched.
            #expect(try client.count(collection: name, tenant: "b", documentID: "d1") == 2)
            #expect(try client.count(collection: name, tenant: "b") == 4)
            // Deleting what is not there is fine.
            try client.delete(collection: name, documentID: "d1", tenant: "a")
        }
    }

    @Test func deleteByChunkIDs() throws {
        try S.withCollection("delchunk") { client, name throws in
            try seed(client, name)
            try client.delete(collection: name, chunkIDs: ["b-c2", "a-c4", "nope"])
            #expect(try client.search(collection: name, vector: S.axis(0), tenant: "b", limit: 10).map(\.chunkID)
                == ["b-c1", "b-c3", "b-c4"])
            #expect(try client.count(collection: name, tenant: "a") == 3)
            try client.delete(collection: name, chunkIDs: [])
        }
    }

    @Test func everyInsertIsSearchableAtOnce() throws {
        try S.withCollection("visible") { client, name throws in
            // Reads lag writes by a few hundred milliseconds in Milvus 2.3; insert must
            // hide that. Several rounds, each read straight after its write.
            for round in 0..<5 {
                try client.insert(collection: name, rows: [
                    MilvusRow(chunkID: "c\(round)", documentID: "d\(round)", tenant: "t", vector: S.axis(round)),
                ])
                let hits = try client.search(collection: name, vector: S.axis(round), tenant: "t", limit: 1)
                #expect(hits.first?.chunkID == "c\(round)", "round \(round)")
                #expect(try client.count(collection: name, tenant: "t") == round + 1)
            }
        }
    }

    @Test func deleteRightAfterAnUnwaitedInsertStillRemovesEverything() throws {
        try S.withCollection("racedel") { client, name throws in
            for round in 0..<3 {
                let rows = (0..<20).map { MilvusRow(chunkID: "r\(round)-\($0)", documentID: "d\(round)", tenant: "t",
                                                   vector: S.blend(0, 1 + $0 % 7, weight: 0.5)) }
                try client.insert(collection: name, rows: rows, waitUntilVisible: false)
                try client.delete(collection: name, documentID: "d\(round)", tenant: "t")
                #expect(try client.count(collection: name, tenant: "t") == 0, "round \(round)")
                #expect(try client.search(collection: name, vector: S.axis(0), tenant: "t", limit: 50).isEmpty)
            }
        }
    }

    @Test func largeInsertIsBatched() throws {
        var configuration = S.configuration()
        configuration.insertBatchSize = 500
        let client = try S.liveClient(configuration)
        let name = S.uniqueCollectionName("batch")
        defer { _ = try? client.drop(collection: name) }
        try client.ensureCollection(name: name, dimension: 8)
        let rows = (0..<1203).map { index in
            MilvusRow(chunkID: "chunk-\(index)", documentID: "doc-\(index / 100)", tenant: "bulk",
                      vector: (0..<8).map { Float(($0 * 7 + index) % 11) + 1 })
        }
        #expect(try client.insert(collection: name, rows: rows) == 1203)
        #expect(try client.count(collection: name, tenant: "bulk") == 1203)
        #expect(try client.count(collection: name, tenant: "bulk", documentID: "doc-12") == 3)
        // More ids than fit in one filter list go out in several deletes.
        try client.delete(collection: name, chunkIDs: rows.prefix(1100).map(\.chunkID))
        #expect(try client.count(collection: name, tenant: "bulk") == 103)
    }

    @Test func badRowsAreRefusedBeforeAnythingIsStored() throws {
        try S.withCollection("badrows") { client, name throws in
            let good = MilvusRow(chunkID: "c1", documentID: "d1", tenant: "t", vector: S.axis(0))
            let bad: [MilvusRow] = [
                MilvusRow(chunkID: "c2", documentID: "d1", tenant: "t", vector: [.nan] + S.axis(0).dropFirst()),
                MilvusRow(chunkID: "c2", documentID: "d1", tenant: "t", vector: [.infinity] + S.axis(0).dropFirst()),
                MilvusRow(chunkID: "c2", documentID: "d1", tenant: "t", vector: S.axis(0, dimension: 9)),
                MilvusRow(chunkID: "c2", documentID: "d1", tenant: "t", vector: [Float](repeating: 0, count: 8)),
                MilvusRow(chunkID: "c2\"", documentID: "d1", tenant: "t", vector: S.axis(0)),
                MilvusRow(chunkID: "c2", documentID: "d 1", tenant: "t", vector: S.axis(0)),
                MilvusRow(chunkID: "c2", documentID: "d1", tenant: "t\" || tenant == \"u", vector: S.axis(0)),
            ]
            for row in bad {
                let error = milvusError { _ = try client.insert(collection: name, rows: [good, row]) }
                #expect(error?.code == .invalidInput)
                #expect(error?.message.hasPrefix("row 1:") == true)
            }
            #expect(try client.count(collection: name, tenant: "t") == 0)
            #expect(try client.insert(collection: name, rows: []) == 0)

            #expect(milvusError { _ = try client.search(collection: name, vector: S.axis(0, dimension: 4), tenant: "t", limit: 3) }?
                .code == .invalidInput)
            #expect(milvusError { _ = try client.search(collection: name, vector: S.axis(0), tenant: "t", limit: 0) }?
                .code == .invalidInput)
            #expect(milvusError { _ = try client.search(collection: name, vector: S.axis(0), tenant: "t", limit: 16_385) }?
                .code == .invalidInput)
        }
    }

    @Test func missingCollectionIsRejected() throws {
        let client = try S.liveClient()
        let name = S.uniqueCollectionName("missing")
        let error = milvusError { _ = try client.search(collection: name, vector: S.axis(0), tenant: "t", limit: 3) }
        #expect(error?.code == .rejected)
        #expect(error?.milvusCode == 100)
    }
}
