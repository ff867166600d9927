import RagdTesting
import Testing
@testable import RagdMilvus

/// Filter injection: hostile tenants and ids never reach Milvus, and the values that are
/// legal never widen a query to another tenant's rows.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct MilvusSecurityTests {
    typealias S = MilvusTestSupport

    /// A client whose Milvus is a closed port: any request would fail with
    /// `.unavailable`, so `.invalidInput` proves the call was refused before sending.
    private func offlineClient() throws -> MilvusClient {
        let client = try MilvusClient(configuration: .init(host: "127.0.0.1", port: try TestSupport.freePort(), managementPort: nil))
        client.dimensions["victims"] = 8 // skip the describe call that would need Milvus
        return client
    }

    @Test(arguments: hostileValues)
    func hostileTenantIsRefusedBeforeAnyRequest(_ tenant: String) throws {
        let client = try offlineClient()
        let vector = S.axis(0)
        #expect(milvusError { _ = try client.search(collection: "victims", vector: vector, tenant: tenant, limit: 5) }?.code
            == .invalidInput)
        #expect(milvusError { _ = try client.search(collection: "victims", vector: vector, tenant: tenant, limit: 5,
                                                    documentIDs: ["d1"]) }?.code == .invalidInput)
        #expect(milvusError { try client.delete(collection: "victims", documentID: "d1", tenant: tenant) }?.code == .invalidInput)
        #expect(milvusError { _ = try client.count(collection: "victims", tenant: tenant) }?.code == .invalidInput)
        #expect(milvusError { _ = try client.insert(collection: "victims", rows: [
            MilvusRow(chunkID: "c1", documentID: "d1", tenant: tenant, vector: vector),
        ]) }?.code == .invalidInput)
    }

    @Test(arguments: hostileValues)
    func hostileIDIsRefusedBeforeAnyRequest(_ id: String) throws {
        let client = try offlineClient()
        let vector = S.axis(0)
        #expect(milvusError { _ = try client.search(collection: "victims", vector: vector, tenant: "a", limit: 5,
                                                    documentIDs: ["d1", id]) }?.code == .invalidInput)
        #expect(milvusError { try client.delete(collection: "victims", documentID: id, tenant: "a") }?.code == .invalidInput)
        #expect(milvusError { try client.delete(collection: "victims", chunkIDs: ["c1", id]) }?.code == .invalidInput)
        #expect(milvusError { _ = try client.count(collection: "victims", tenant: "a", documentID: id) }?.code == .invalidInput)
        #expect(milvusError { _ = try client.insert(collection: "victims", rows: [
            MilvusRow(chunkID: id, documentID: "d1", tenant: "a", vector: vector),
        ]) }?.code == .invalidInput)
        #expect(milvusError { _ = try client.insert(collection: "victims", rows: [
            MilvusRow(chunkID: "c1", documentID: id, tenant: "a", vector: vector),
        ]) }?.code == .invalidInput)
    }

    @Test func offlineClientReallyIsOffline() throws {
        // The control for the two tests above: a valid call does try to send.
        let client = try offlineClient()
        #expect(milvusError { _ = try client.search(collection: "victims", vector: S.axis(0), tenant: "a", limit: 5) }?.code
            == .unavailable)
    }

    @Test func legalButOddTenantsSeeNothingOfOthers() throws {
        try S.withCollection("odd") { client, name throws in
            var rows: [MilvusRow] = []
            for tenant in ["a", "b"] {
                for index in 0..<3 {
                    rows.append(MilvusRow(chunkID: "\(tenant)-\(index)", documentID: "d\(index)", tenant: tenant,
                                          vector: S.axis(index)))
                }
            }
            try client.insert(collection: name, rows: rows)
            for tenant in oddButLegalTenants {
                #expect(try client.search(collection: name, vector: S.axis(0), tenant: tenant, limit: 100).isEmpty, "\(tenant)")
                #expect(try client.search(collection: name, vector: S.axis(0), tenant: tenant, limit: 100,
                                          documentIDs: ["d0", "or", "true"]).isEmpty, "\(tenant)")
                #expect(try client.count(collection: name, tenant: tenant) == 0, "\(tenant)")
                try client.delete(collection: name, documentID: "d0", tenant: tenant)
            }
            // Searching as a never returns b, whatever documents are asked for.
            let asA = try client.search(collection: name, vector: S.axis(0), tenant: "a", limit: 100,
                                        documentIDs: ["d0", "d1", "d2"])
            #expect(Set(asA.map(\.chunkID)) == ["a-0", "a-1", "a-2"])
            #expect(try client.count(collection: name, tenant: "b") == 3)
        }
    }

    @Test func escapingKeepsHostileLiteralsLiteralInMilvus() throws {
        // The second guard on its own: even without the allow-list, an escaped value
        // stays one string literal in Milvus 2.3's expression parser.
        try S.withCollection("escape") { client, name throws in
            try client.insert(collection: name, rows: [
                MilvusRow(chunkID: "a-1", documentID: "d1", tenant: "a", vector: S.axis(0)),
                MilvusRow(chunkID: "b-1", documentID: "d1", tenant: "b", vector: S.axis(0)),
                MilvusRow(chunkID: "b-2", documentID: "d2", tenant: "b", vector: S.axis(1)),
            ])
            // Without escaping, this injection would widen the query to tenant b.
            #expect(try client.count(collection: name, expression: #"tenant == "a" || tenant == "b""#) == 3)
            #expect(try client.count(collection: name, expression: "tenant == " + MilvusFilter.stringLiteral("b")) == 2)
            let hostile = [
                #"a" || tenant == "b"#,
                #"a" or tenant == "b"#,
                #"a") || (tenant == "b"#,
                #"zz\" || tenant == \"b"#,
                #"b\"#,
                #"\" || "1" == "1"#,
            ]
            for value in hostile {
                #expect(try client.count(collection: name, expression: "tenant == " + MilvusFilter.stringLiteral(value)) == 0,
                        "\(value)")
            }
        }
    }
}
