import Foundation
import RagdCore
import RagdMilvus
import RagdTesting
import Testing

/// Start-up refuses what it cannot work with, with one clear line.
@Suite(.serialized)
struct StartupTests {
    @Test func collectionOfAnotherDimensionStopsStartUp() throws {
        let env = ProcessInfo.processInfo.environment
        // A generous timeout: this may be the first collection a just-started Milvus creates.
        let milvus = try MilvusClient(configuration: .init(host: env["MILVUS_HOST"] ?? "127.0.0.1",
                                                           port: Int(env["MILVUS_PORT"] ?? "") ?? 19530,
                                                           requestTimeout: .seconds(60)))
        let collection = "ragd_dim_" + Identifier.uuid().replacingOccurrences(of: "-", with: "").prefix(10)
        try milvus.ensureCollection(name: collection, dimension: 384)
        defer { _ = try? milvus.drop(collection: collection) }

        let server = try LiveServer(["MILVUS_COLLECTION": collection, "EMBEDDING_DIMENSION": "16"])
        defer { server.stop() }
        try server.startRagd()
        let status = server.ragd!.waitForExit(timeout: 30)
        #expect(status == 3, "a boot error stops the master")
        let fatal = server.ragd!.logLines.filter { $0["level"] as? String == "critical" }
        #expect(fatal.count == 1)
        let message = fatal.first?["msg"] as? String ?? ""
        #expect(message.contains("EMBEDDING_DIMENSION"), "\(message)")
        #expect(message.contains("384") && message.contains("16"), "names both dimensions: \(message)")
        #expect(message.contains("ragd reindex"), "names the remedy: \(message)")
    }
}
