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

    /// Hybrid search ranks the tenant's documents by title and by whole text and lets
    /// those ranks re-order the chunks: a page titled with the question's words wins over
    /// a page that only repeats them, which the chunk legs alone rank first.
    @Test func documentRankingsByTitleReorderHybridResults() throws {
        let app = try InProcessApp()
        let chunkLegsOnly = try InProcessApp(overrides: ["SEARCH_TITLE_WEIGHT": "0", "SEARCH_SECTION_WEIGHT": "0"])
        let connection = try PostgresConnection(url: app.settings.databaseURL.reveal())
        _ = try Migrations.run(on: connection)
        connection.close()
        let tenant = "inproc-" + Identifier.uuid().prefix(8)
        let token = try InProcessApp.token(tenant: tenant, scopes: [AuthScope.documentsRead, AuthScope.documentsWrite])
        func ingest(_ title: String, _ text: String) throws -> String {
            let created = app.sendJSON("POST", "/v1/documents", token: token, #"{"title": "\#(title)", "text": "\#(text)"}"#)
            #expect(created.status == 201)
            return try #require(try created.jsonObject()["id"] as? String)
        }
        let titled = try ingest("Tide tables", "Printed every spring for the coast guard, with the harbour times.")
        let repeating = try ingest("Shipping notes",
                                   "Tide tables, tide tables: the tide tables of the port list tide times and tables of tides.")
        defer {
            for id in [titled, repeating] { _ = app.send("DELETE", "/v1/documents/\(id)", token: token) }
        }
        func search(_ app: InProcessApp) throws -> (first: String?, stages: Set<String>) {
            let found = app.sendJSON("POST", "/v1/search", token: token, #"{"query": "tide tables", "top_k": 2}"#)
            #expect(found.status == 200)
            let body = try found.jsonObject()
            let results = try #require(body["results"] as? [[String: Any]])
            return (results.first?["document_id"] as? String, Set((body["timings"] as? [String: Any] ?? [:]).keys))
        }
        let legsOnly = try search(chunkLegsOnly)
        #expect(legsOnly.first == repeating, "the chunk legs rank the page that repeats the words first")
        #expect(!legsOnly.stages.contains("documents"))
        let withDocuments = try search(app)
        #expect(withDocuments.first == titled, "the title ranking lifts the titled page")
        #expect(withDocuments.stages.contains("documents"))
    }
}
