import Foundation
import RagdCore
import RagdMilvus
import RagdPostgres
import RagdTesting
import Testing

/// A document is visible only once PostgreSQL and Milvus both hold it; when the embedder
/// or Milvus fails midway, the client gets 5xx and nothing of the document remains.
@Suite(.serialized)
struct IngestFailureTests {
    /// Twelve paragraphs: with CHUNK_SIZE 100 that is several chunks, so batches of 2
    /// take several requests and a failure can land in the middle.
    static let longText = (1...12).map { "Paragraph \($0) talks about topic number \($0) in some detail, enough to fill a chunk." }
        .joined(separator: "\n\n")

    static func milvus() throws -> MilvusClient {
        let env = ProcessInfo.processInfo.environment
        return try MilvusClient(configuration: .init(host: env["MILVUS_HOST"] ?? "127.0.0.1", port: Int(env["MILVUS_PORT"] ?? "") ?? 19530))
    }

    static func rows(_ server: LiveServer, tenant: String) throws -> (documents: Int, chunks: Int, cleanup: Int) {
        let connection = try PostgresConnection(url: server.environment["DATABASE_URL"]!)
        defer { connection.close() }
        func count(_ sql: String) throws -> Int { Int(try connection.query(sql, [tenant])[0, 0] ?? "") ?? -1 }
        return (try count("SELECT count(*) FROM documents WHERE tenant = $1"),
                try count("SELECT count(*) FROM chunks WHERE tenant = $1"),
                try count("SELECT count(*) FROM vector_cleanup WHERE tenant = $1"))
    }

    static func ingest(_ server: LiveServer, token: String, text: String) throws -> HTTPResult {
        try server.requestJSON("POST", "/v1/documents", token: token, ["title": "Long", "text": text])
    }

    @Test func embedderFailingMidwayLeavesNothing() throws {
        let fake = try FakeOpenAIServer(apiKey: "sk-test")
        let collection = "ragd_fail_" + Identifier.uuid().replacingOccurrences(of: "-", with: "").prefix(10)
        let server = try LiveServer([
            "MILVUS_COLLECTION": collection, "EMBEDDING_PROVIDER": "openai", "EMBEDDING_BASE_URL": "http://127.0.0.1:\(fake.port)/v1",
            "EMBEDDING_API_KEY": "sk-test", "EMBEDDING_MODEL": "fake-embed", "EMBEDDING_BATCH_SIZE": "2", "CHUNK_SIZE": "100",
            "CHUNK_OVERLAP": "0", "EMBEDDING_TIMEOUT": "5",
        ])
        defer {
            server.stop()
            _ = try? Self.milvus().drop(collection: collection)
        }
        try server.start()
        let tenant = "t" + Identifier.uuid().prefix(8)
        let token = try server.token(tenant: tenant)

        let first = try Self.ingest(server, token: token, text: "warm-up document about nothing in particular")
        #expect(first.status == 201, "\(first.body)")

        // Each embeddings request takes 400 ms; once the first batch of the long document
        // has been answered, every later request fails with 500 (retries included).
        try fake.control(["reset": true, "delay_ms": 400])
        let failing = Thread.detachedResult { try Self.ingest(server, token: token, text: Self.longText) }
        #expect(eventually(timeout: 10) {
            (try? fake.requests())?.isEmpty == false
        })
        try fake.control(["fail_next": 1000, "status": 500, "delay_ms": 0])
        let answer = try failing.value()
        #expect([502, 503].contains(answer.status), "\(answer.status) \(answer.body)")
        #expect(answer.json?["dependency"] as? String == "embedding")

        let left = try Self.rows(server, tenant: tenant)
        #expect(left.documents == 1 && left.chunks == 1, "only the warm-up document remains: \(left)")
        #expect(try Self.milvus().count(collection: collection, tenant: tenant) == 1, "no vector of the failed document")
        let list = try server.request("GET", "/v1/documents", token: token)
        #expect((list.json?["data"] as? [[String: Any]])?.count == 1)
    }

    @Test func milvusGoingAwayMidwayLeavesNothing() throws {
        let env = ProcessInfo.processInfo.environment
        let proxy = try ToolProcess("faultproxy.py", ["--upstream", "\(env["MILVUS_HOST"] ?? "127.0.0.1"):\(env["MILVUS_PORT"] ?? "19530")"])
        defer { proxy.stop() }
        let control = proxy.ports[1]
        let collection = "ragd_fail_" + Identifier.uuid().replacingOccurrences(of: "-", with: "").prefix(10)
        let server = try LiveServer([
            "MILVUS_COLLECTION": collection, "MILVUS_PORT": String(proxy.port), "MILVUS_INSERT_BATCH": "2",
            "CHUNK_SIZE": "100", "CHUNK_OVERLAP": "0", "MILVUS_TIMEOUT": "3",
        ])
        defer {
            server.stop()
            _ = try? Self.milvus().drop(collection: collection)
        }
        try server.start()
        let tenant = "t" + Identifier.uuid().prefix(8)
        let token = try server.token(tenant: tenant)

        // Two insert requests (4 vectors) reach Milvus, then Milvus "dies".
        _ = try faultProxyCommand(port: control, ["cmd": "stop_after", "path": "/v1/vector/insert", "count": 2])
        let answer = try Self.ingest(server, token: token, text: Self.longText)
        #expect([503, 504].contains(answer.status), "\(answer.status) \(answer.body)")
        #expect(answer.json?["dependency"] as? String == "vector_store")
        let stats = try faultProxyCommand(port: control, ["cmd": "stats"])
        #expect((stats["requests"] as? [String: Int])?["/v1/vector/insert"] ?? 0 >= 2, "the failure really was midway: \(stats)")

        var left = try Self.rows(server, tenant: tenant)
        #expect(left.documents == 0 && left.chunks == 0, "no rows of the failed document: \(left)")
        #expect(left.cleanup == 1, "its vectors that Milvus could not delete are queued")
        #expect(try server.request("GET", "/v1/documents", token: token).json?["data"] as? [Any] != nil)

        // Milvus is back: the next ingest first deletes what was left.
        _ = try faultProxyCommand(port: control, ["cmd": "start"])
        let next = try Self.ingest(server, token: token, text: "A short document after the outage.")
        #expect(next.status == 201, "\(next.body)")
        left = try Self.rows(server, tenant: tenant)
        #expect(left.cleanup == 0)
        #expect(left.documents == 1)
        #expect(eventually(timeout: 10) { (try? Self.milvus().count(collection: collection, tenant: tenant)) == left.chunks },
                "only the new document's vectors remain")
    }
}
