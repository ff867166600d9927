import Foundation
import RagdAuth
import RagdCore
import RagdPostgres
import RagdStore
import Testing

@testable import RagdApp

/// A document ingested and found again through the in-process responder, on the real
/// services (`scripts/stack.sh services`, settings from the environment).
@Suite(.enabled(if: InProcessApp.servicesConfigured, "needs DATABASE_URL and MILVUS_HOST (scripts/stack.sh services)"))
struct InProcessSearchTests {
    @Test func anIngestedDocumentIsFoundBySearch() throws {
        let app = try InProcessApp()
        let connection = try PostgresConnection(url: app.settings.databaseURL.reveal())
        _ = try Migrations.run(on: connection)
        connection.close()
        // A tenant of its own: nothing another run left behind is found.
        let tenant = "inproc-" + Identifier.uuid().prefix(8)
        let token = try InProcessApp.token(tenant: tenant, scopes: [AuthScope.documentsRead, AuthScope.documentsWrite])

        let created = app.sendJSON("POST", "/v1/documents", token: token, """
            {"title": "Harbour pilots", "text": "The harbour pilot boards every tanker at the outer buoy before dawn.", "source": "pilots.txt"}
            """)
        #expect(created.status == 201)
        let document = try created.jsonObject()
        let id = try #require(document["id"] as? String)
        #expect(created.headers["location"] == "/v1/documents/\(id)")

        let found = app.sendJSON("POST", "/v1/search", token: token, #"{"query": "harbour pilot tanker", "top_k": 3}"#)
        #expect(found.status == 200)
        let body = try found.jsonObject()
        #expect(body["mode"] as? String == "hybrid")
        let results = try #require(body["results"] as? [[String: Any]])
        let first = try #require(results.first)
        #expect(first["document_id"] as? String == id)
        #expect(first["source"] as? String == "pilots.txt")
        #expect(first["score"] is Double)
        #expect(first["page_start"] is NSNull)
        #expect(body["timings"] is [String: Any])

        let chunks = app.send("GET", "/v1/documents/\(id)/chunks", token: token)
        #expect(chunks.status == 200)
        let page = try chunks.jsonObject()
        #expect(page["document_id"] as? String == id && page["next_offset"] is NSNull)
        let chunk = try #require((page["data"] as? [[String: Any]])?.first)
        #expect(Set(chunk.keys) == ["id", "ordinal", "text", "page_start", "page_end"] && chunk["page_start"] is NSNull)

        let queued = app.sendJSON("POST", "/v1/documents?async=true", token: token, #"{"title": "Later", "text": "Queued text."}"#)
        #expect(queued.status == 202)
        let job = try queued.jsonObject()
        let jobID = try #require(job["id"] as? String)
        #expect(queued.headers["location"] == "/v1/jobs/\(jobID)")
        #expect(job["state"] as? String == "queued" && job["error"] is NSNull && job["document_id"] is NSNull)
        #expect((job["progress"] as? [String: Any])?["chunks_total"] is Int)
        let listed = try app.send("GET", "/v1/jobs?ids=\(jobID)", token: token).jsonObject()
        #expect((listed["data"] as? [[String: Any]])?.first?["id"] as? String == jobID)

        #expect(app.send("DELETE", "/v1/documents/\(id)", token: token).status == 204)
        #expect(app.send("GET", "/v1/documents/\(id)", token: token).status == 404)
    }
}
