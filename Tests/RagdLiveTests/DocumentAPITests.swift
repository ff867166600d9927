import Foundation
import RagdCore
import RagdMilvus
import RagdPostgres
import RagdTesting
import Testing

/// The document API end to end: through nginx over HTTPS, against the real PostgreSQL
/// and Milvus, with tokens from `ragd token`.
@Suite(.serialized)
final class DocumentAPITests {
    let collection = "ragd_api_" + Identifier.uuid().replacingOccurrences(of: "-", with: "").prefix(10)
    let server: LiveServer

    init() throws {
        server = try LiveServer(["MILVUS_COLLECTION": collection])
        try server.start()
    }

    deinit {
        server.stop()
        _ = try? milvus().drop(collection: collection)
    }

    static func tenant() -> String { "t" + Identifier.uuid().prefix(8) }

    func milvus() throws -> MilvusClient {
        let env = ProcessInfo.processInfo.environment
        return try MilvusClient(configuration: .init(host: env["MILVUS_HOST"] ?? "127.0.0.1", port: Int(env["MILVUS_PORT"] ?? "") ?? 19530))
    }

    /// Rows of the tenant in PostgreSQL, whatever their state.
    func rowCount(tenant: String) throws -> (documents: Int, chunks: Int) {
        let connection = try PostgresConnection(url: server.environment["DATABASE_URL"]!)
        defer { connection.close() }
        let documents = try connection.query("SELECT count(*) FROM documents WHERE tenant = $1", [tenant])[0, 0]
        let chunks = try connection.query("SELECT count(*) FROM chunks WHERE tenant = $1", [tenant])[0, 0]
        return (Int(documents ?? "") ?? -1, Int(chunks ?? "") ?? -1)
    }

    func ingest(_ token: String, title: String, text: String, metadata: [String: Any]? = nil) throws -> HTTPResult {
        var body: [String: Any] = ["title": title, "text": text]
        if let metadata { body["metadata"] = metadata }
        return try server.requestJSON("POST", "/v1/documents", token: token, body)
    }

    func search(_ token: String, _ query: String, topK: Int = 5, mode: String = "hybrid", filter: [String: Any]? = nil) throws -> HTTPResult {
        var body: [String: Any] = ["query": query, "top_k": topK, "mode": mode]
        if let filter { body["filter"] = filter }
        return try server.requestJSON("POST", "/v1/search", token: token, body)
    }

    static let cats = """
        Cats are small domesticated carnivorous mammals. They sleep for most of the day and purr when content.

        A cat's whiskers sense tiny movements of air, which helps it hunt at night.
        """
    static let rust = """
        The borrow checker enforces ownership rules at compile time. Every value has a single owner.

        Lifetimes describe how long references stay valid, so dangling pointers cannot exist.
        """

    @Test func documentLifecycle() throws {
        let tenant = Self.tenant()
        let token = try server.token(tenant: tenant)
        let created = try ingest(token, title: "Cats", text: Self.cats, metadata: ["team": "zoo", "year": 2026])
        #expect(created.status == 201, "\(created.body)")
        let document = try #require(created.json)
        let id = try #require(document["id"] as? String)
        #expect(document["status"] as? String == "ready")
        #expect((document["chunks"] as? Int ?? 0) >= 1)
        #expect((document["sha256"] as? String)?.count == 64)
        #expect(document["duplicate"] as? Bool == false)
        #expect(created.headers["location"] == "/v1/documents/\(id)")

        let again = try ingest(token, title: "Cats again", text: Self.cats)
        #expect(again.status == 200)
        #expect(again.json?["duplicate"] as? Bool == true)
        #expect(again.json?["id"] as? String == id, "the same content is never stored twice")
        #expect(try rowCount(tenant: tenant).documents == 1)

        #expect(try ingest(token, title: "Rust", text: Self.rust).status == 201)
        let list = try server.request("GET", "/v1/documents?limit=1", token: token)
        #expect(list.status == 200)
        #expect((list.json?["data"] as? [[String: Any]])?.count == 1)
        let cursor = try #require(list.json?["next_cursor"] as? String)
        let second = try server.request("GET", "/v1/documents?limit=1&cursor=\(cursor)", token: token)
        #expect((second.json?["data"] as? [[String: Any]])?.first?["id"] as? String == id, "newest first, then the older one")

        let fetched = try server.request("GET", "/v1/documents/\(id)", token: token)
        #expect(fetched.status == 200)
        #expect((fetched.json?["metadata"] as? [String: Any])?["team"] as? String == "zoo")
        let chunks = try server.request("GET", "/v1/documents/\(id)/chunks", token: token)
        let chunkList = try #require(chunks.json?["data"] as? [[String: Any]])
        #expect(chunkList.count == document["chunks"] as? Int)
        #expect((chunkList.first?["text"] as? String)?.contains("Cats are small") == true)

        let found = try search(token, "why do cats purr")
        #expect(found.status == 200, "\(found.body)")
        let results = try #require(found.json?["results"] as? [[String: Any]])
        #expect(results.first?["document_id"] as? String == id)
        #expect(results.first?["title"] as? String == "Cats")
        let ranks = try #require(results.first?["ranks"] as? [String: Any])
        #expect(ranks["vector"] as? Int == 1)
        #expect(ranks["keyword"] as? Int == 1)
        let keywordOnly = try search(token, "borrow checker", mode: "keyword")
        #expect((keywordOnly.json?["results"] as? [[String: Any]])?.first?["title"] as? String == "Rust")
        let filtered = try search(token, "cats", filter: ["metadata": ["team": "zoo"]])
        #expect((filtered.json?["results"] as? [[String: Any]])?.allSatisfy { $0["document_id"] as? String == id } == true)

        let deleted = try server.request("DELETE", "/v1/documents/\(id)", token: token)
        #expect(deleted.status == 204)
        #expect(try server.request("GET", "/v1/documents/\(id)", token: token).status == 404)
        #expect(try rowCount(tenant: tenant) == (1, try rowCount(tenant: tenant).chunks), "only the Rust document is left")
        #expect(try milvus().count(collection: collection, tenant: tenant, documentID: id) == 0, "its vectors are gone")
        let afterDelete = try search(token, "why do cats purr")
        #expect((afterDelete.json?["results"] as? [[String: Any]])?.contains { $0["document_id"] as? String == id } == false)
    }

    /// The keyword leg is BM25 over ragd's own terms: Chinese is found by bigrams (the
    /// database's parser kept a whole run as one word), any query word may match, and
    /// punctuation of any script separates words.
    @Test func keywordSearchFindsChineseMixedAndParaphrasedText() throws {
        let token = try server.token(tenant: Self.tenant())
        let guide = try ingest(token, title: "部署指南", text: """
            使用 Docker Compose 启动 PostgreSQL、Redis 和 Milvus，然后用 kubectl 部署到 Kubernetes 集群。

            健康检查探针访问 /health 和 /health/ready，Prometheus 抓取 /metrics。
            """)
        #expect(guide.status == 201, "\(guide.body)")
        let prose = try ingest(token, title: "Prose", text: "The company’s revenue grew—fast, said «Zorblat» in a statement.")
        #expect(prose.status == 201, "\(prose.body)")
        func firstTitle(_ query: String) throws -> String? {
            let result = try search(token, query, mode: "keyword")
            #expect(result.status == 200, "\(result.body)")
            return (result.json?["results"] as? [[String: Any]])?.first?["title"] as? String
        }
        #expect(try firstTitle("怎么把服务部署到集群上") == "部署指南")
        #expect(try firstTitle("普罗米修斯如何抓取指标 metrics") == "部署指南")
        #expect(try firstTitle("Zorblat") == "Prose")
        #expect(try firstTitle("how fast did the companies grow") == "Prose", "OR over stemmed terms, not AND")
        #expect(try firstTitle("quantum chromodynamics") == nil)
    }

    @Test func rawBodiesAndFileUploads() throws {
        let tenant = Self.tenant()
        let token = try server.token(tenant: tenant)
        let plain = try server.request("POST", "/v1/documents?title=Plain%20notes&source=notes.txt", token: token,
                                       headers: ["Content-Type": "text/plain; charset=utf-8"], body: "Plain text about gardening tomatoes.")
        #expect(plain.status == 201, "\(plain.body)")
        #expect(plain.json?["title"] as? String == "Plain notes")
        #expect(plain.json?["source"] as? String == "notes.txt")

        let markdown = try server.request("POST", "/v1/documents", token: token, headers: ["Content-Type": "text/markdown"],
                                          body: "# Sourdough\n\nFeed the starter with flour and water every day.")
        #expect(markdown.status == 201)
        #expect(markdown.json?["title"] as? String == "Sourdough")

        let html = try server.request("POST", "/v1/documents", token: token, headers: ["Content-Type": "text/html"],
                                      body: "<html><head><title>Bees</title><script>alert(1)</script></head><body><p>Bees make honey &amp; wax.</p></body></html>")
        #expect(html.status == 201)
        #expect(html.json?["title"] as? String == "Bees")
        let htmlID = try #require(html.json?["id"] as? String)
        let htmlChunks = try server.request("GET", "/v1/documents/\(htmlID)/chunks", token: token)
        let text = (htmlChunks.json?["data"] as? [[String: Any]])?.first?["text"] as? String ?? ""
        #expect(text.contains("Bees make honey & wax."))
        #expect(!text.contains("alert"), "scripts are not text")

        let file = server.directory + "/upload.md"
        try "# Kayaks\n\nA kayak is paddled with a double-bladed paddle.".write(toFile: file, atomically: true, encoding: .utf8)
        let upload = try server.request("POST", "/v1/documents", token: token,
                                        curlArguments: ["-F", "file=@\(file);type=text/markdown", "-F", "source=handbook",
                                                        "-F", #"metadata={"kind":"manual"}"#])
        #expect(upload.status == 201, "\(upload.body)")
        #expect(upload.json?["title"] as? String == "Kayaks")
        #expect(upload.json?["source"] as? String == "handbook")
        #expect((upload.json?["metadata"] as? [String: Any])?["kind"] as? String == "manual")
        #expect(try rowCount(tenant: tenant).documents == 4)
    }

    @Test func tenantsNeverSeeEachOther() throws {
        let alice = Self.tenant(), bob = Self.tenant()
        let aliceToken = try server.token(tenant: alice), bobToken = try server.token(tenant: bob)
        let created = try ingest(aliceToken, title: "Alice's secret", text: "The launch code of project heron is 4711.")
        let id = try #require(created.json?["id"] as? String)
        #expect(try ingest(bobToken, title: "Bob's note", text: "Bob likes herons and other birds.").status == 201)

        let missing = try server.request("GET", "/v1/documents/\(Identifier.uuid())", token: bobToken)
        #expect(missing.status == 404)
        for (method, path) in [("GET", "/v1/documents/\(id)"), ("GET", "/v1/documents/\(id)/chunks"), ("DELETE", "/v1/documents/\(id)")] {
            let attempt = try server.request(method, path, token: bobToken)
            #expect(attempt.status == 404, "\(method) \(path) as another tenant")
            #expect(attempt.json?["title"] as? String == missing.json?["title"] as? String, "exactly as for a missing id")
        }
        let list = try server.request("GET", "/v1/documents", token: bobToken)
        #expect((list.json?["data"] as? [[String: Any]])?.map { $0["title"] as? String } == ["Bob's note"])
        for mode in ["hybrid", "vector", "keyword"] {
            let results = try search(bobToken, "launch code project heron", topK: 50, mode: mode).json?["results"] as? [[String: Any]] ?? []
            #expect(!results.contains { $0["document_id"] as? String == id }, "\(mode) search never returns another tenant's passage")
        }
        let filtered = try search(bobToken, "launch code", filter: ["document_ids": [id]])
        #expect((filtered.json?["results"] as? [[String: Any]])?.isEmpty == true, "naming another tenant's document finds nothing")
        #expect(try server.request("GET", "/v1/documents/\(id)", token: aliceToken).status == 200, "Bob's delete did nothing")
    }

    @Test func authFailuresAre401Or403() throws {
        let tenant = Self.tenant()
        let missing = try server.request("GET", "/v1/documents")
        #expect(missing.status == 401)
        #expect(missing.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        #expect(missing.headers["content-type"] == "application/problem+json")

        let token = try server.token(tenant: tenant, scopes: "documents:read")
        var parts = token.split(separator: ".").map(String.init)
        let forged = parts[0] + "." + parts[1] + "." + String(parts[2].reversed())
        let badSignature = try server.request("GET", "/v1/documents", token: forged)
        #expect(badSignature.status == 401)
        #expect(badSignature.headers["www-authenticate"]?.contains("invalid_token") == true)
        parts[0] = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0" // {"alg":"none","typ":"JWT"}
        #expect(try server.request("GET", "/v1/documents", token: parts[0] + "." + parts[1] + ".").status == 401)
        // An expired token, made by an independent implementation (PyJWT) with our secret.
        let secret = server.environment["SECRET_KEY"]!
        let expired = try run("/opt/ragd-test-venv/bin/python", ["-c", """
            import jwt, time
            print(jwt.encode({"sub": "u", "tenant": "\(tenant)", "scope": "documents:read", "exp": int(time.time()) - 120},
                             "\(secret)", algorithm="HS256"))
            """])
        #expect(expired.status == 0, "\(expired.output)")
        let expiredAnswer = try server.request("GET", "/v1/documents", token: expired.output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(expiredAnswer.status == 401)
        #expect(expiredAnswer.headers["www-authenticate"]?.contains("invalid_token") == true)

        let readOnly = try server.request("POST", "/v1/documents", token: token, headers: ["Content-Type": "application/json"],
                                          body: #"{"title":"x","text":"y"}"#)
        #expect(readOnly.status == 403)
        #expect(readOnly.headers["www-authenticate"]?.contains("insufficient_scope") == true)
        #expect(try rowCount(tenant: tenant).documents == 0)
        #expect(try server.get("/health").status == 200, "probes need no token")
    }

    @Test func badInputGetsAClearAnswerAndWritesNothing() throws {
        let tenant = Self.tenant()
        let token = try server.token(tenant: tenant)
        func post(_ body: String, _ contentType: String = "application/json") throws -> HTTPResult {
            try server.request("POST", "/v1/documents", token: token, headers: ["Content-Type": contentType], body: body)
        }
        let malformed = try post("{\n\"title\": \"x\",\n\"text\": }")
        #expect(malformed.status == 400)
        #expect((malformed.json?["detail"] as? String)?.contains("line 3") == true, "\(malformed.body)")

        let bytesFile = server.directory + "/bad-utf8.json"
        try Data([0x7B, 0x22, 0x74, 0x69, 0x74, 0x6C, 0x65, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D]).write(to: URL(fileURLWithPath: bytesFile))
        let invalidUTF8 = try server.request("POST", "/v1/documents", token: token, headers: ["Content-Type": "application/json"], bodyFile: bytesFile)
        #expect(invalidUTF8.status == 400)
        #expect((invalidUTF8.json?["detail"] as? String)?.contains("UTF-8") == true)

        let empty = try post(#"{"title": "Empty", "text": "   \n  "}"#)
        #expect(empty.status == 422)
        #expect((empty.json?["errors"] as? [[String: String]])?.first?["field"] == "text")
        let wrongType = try post(#"{"title": ["not", "a", "string"], "text": "hello"}"#)
        #expect(wrongType.status == 422)
        #expect((wrongType.json?["detail"] as? String)?.hasPrefix("title:") == true)
        let metadata = try post(#"{"title": "x", "text": "hello", "metadata": "not an object"}"#)
        #expect(metadata.status == 422)
        #expect((metadata.json?["detail"] as? String)?.hasPrefix("metadata:") == true)
        let unknown = try post(#"{"title": "x", "text": "hello", "colour": "blue"}"#)
        #expect(unknown.status == 422)
        let unsupported = try post("GIF89a", "image/gif")
        #expect(unsupported.status == 415)
        #expect(unsupported.headers["content-type"] == "application/problem+json")
        let notReally = try post("%PDF-1.7", "application/pdf")
        #expect(notReally.status == 422, "a PDF that is cut short: \(notReally.body)")
        #expect((notReally.json?["detail"] as? String)?.contains("truncated") == true)

        let topK = try search(token, "anything", topK: 51)
        #expect(topK.status == 422)
        #expect((topK.json?["detail"] as? String)?.hasPrefix("top_k:") == true)
        #expect(try search(token, "anything", topK: 0).status == 422)
        #expect(try search(token, "anything", mode: "psychic").status == 422)

        let big = server.directory + "/big.json"
        try Data((#"{"title":"big","text":""# + String(repeating: "a", count: 51 * 1024 * 1024) + #""}"#).utf8).write(to: URL(fileURLWithPath: big))
        let tooLarge = try server.request("POST", "/v1/documents", token: token, headers: ["Content-Type": "application/json"], bodyFile: big)
        #expect(tooLarge.status == 413)
        #expect(tooLarge.headers["content-type"]?.contains("json") == true)

        #expect(try rowCount(tenant: tenant) == (0, 0), "no bad request wrote anything")
        #expect(try milvus().count(collection: collection, tenant: tenant) == 0)
    }

    @Test func reindexRebuildsMilvusFromPostgreSQL() throws {
        let tenant = Self.tenant()
        let token = try server.token(tenant: tenant)
        #expect(try ingest(token, title: "Cats", text: Self.cats).status == 201)
        #expect(try ingest(token, title: "Rust", text: Self.rust).status == 201)
        #expect(try milvus().drop(collection: collection))
        let broken = try search(token, "cats purr", mode: "vector")
        #expect(broken.status != 200, "with the collection gone, vector search cannot answer")

        var env = server.environment
        env["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        let reindex = try run(Paths.ragdBinary, ["reindex"], environment: env)
        #expect(reindex.status == 0, "\(reindex.output)")
        // Milvus makes inserts searchable within about a second (bounded staleness), but
        // reindex rebuilds every tenant of the test database, and a loaded machine has seen
        // one vector search take 8 s right after it: a generous bound, the other outcome
        // being never.
        var found: HTTPResult?
        #expect(eventually(timeout: 60) {
            found = try? self.search(token, "cats purr", mode: "vector")
            return (found?.json?["results"] as? [[String: Any]])?.first?["title"] as? String == "Cats"
        }, "\(found?.body ?? "")")
        let chunks = try rowCount(tenant: tenant).chunks
        #expect(eventually(timeout: 60) { (try? self.milvus().count(collection: self.collection, tenant: tenant)) == chunks })
    }
}
