import Foundation
import RagdCore
import RagdPostgres
import RagdTesting
import Testing

/// Background ingestion: `POST /v1/documents?async=true` answers 202 with a job that a
/// worker's job runner completes; the job survives the death of the worker running it and
/// its document is stored exactly once.
@Suite(.serialized)
struct IngestJobTests {
    static let text = (1...12).map { "Paragraph \($0) explains how the flux valve number \($0) is cleaned and reassembled." }
        .joined(separator: "\n\n")

    static func waitForJob(_ server: LiveServer, _ location: String, token: String, timeout: Double = 60) -> [String: Any]? {
        var job: [String: Any]?
        _ = eventually(timeout: timeout) {
            job = try? server.request("GET", location, token: token).json
            let state = job?["state"] as? String
            return state == "succeeded" || state == "failed"
        }
        return job
    }

    /// ragd's log without the request lines, for a failure message.
    static func events(_ server: LiveServer) -> String {
        (server.ragd?.log ?? "").split(separator: "\n").filter { !$0.contains("\"msg\":\"request\"") }.joined(separator: "\n")
    }

    @Test func aQueuedDocumentIsIngestedInTheBackgroundAndOnlyItsTenantSeesTheJob() throws {
        let collection = "ragd_jobs_" + Identifier.uuid().replacingOccurrences(of: "-", with: "").prefix(10)
        let server = try LiveServer(["MILVUS_COLLECTION": collection, "CHUNK_SIZE": "100", "CHUNK_OVERLAP": "0"])
        defer {
            server.stop()
            _ = try? IngestFailureTests.milvus().drop(collection: collection)
        }
        try server.start()
        let token = try server.token(tenant: "jobs-a")
        let accepted = try server.requestJSON("POST", "/v1/documents?async=true", token: token, ["title": "Valves", "text": Self.text])
        #expect(accepted.status == 202, "\(accepted.body)")
        let location = try #require(accepted.headers["location"])
        #expect(location == "/v1/jobs/\(accepted.json?["id"] as? String ?? "")")
        #expect(["queued", "running", "succeeded"].contains(accepted.json?["state"] as? String ?? ""))

        let job = try #require(Self.waitForJob(server, location, token: token))
        #expect(job["state"] as? String == "succeeded", "\(job)")
        let progress = job["progress"] as? [String: Int]
        #expect(progress?["chunks_total"] ?? 0 > 1 && progress?["chunks_embedded"] == progress?["chunks_total"])
        let documentID = try #require(job["document_id"] as? String)
        let search = try server.requestJSON("POST", "/v1/search", token: token, ["query": "flux valve cleaned", "mode": "keyword"])
        #expect((search.json?["results"] as? [[String: Any]])?.first?["document_id"] as? String == documentID)

        // Another tenant: the job does not exist.
        let other = try server.token(tenant: "jobs-b")
        #expect(try server.request("GET", location, token: other).status == 404)
        // Bad input is refused at once, and nothing is queued.
        #expect(try server.requestJSON("POST", "/v1/documents?async=true", token: token, ["title": "", "text": "x"]).status == 422)
        #expect(try server.requestJSON("POST", "/v1/documents?async=maybe", token: token, ["title": "t", "text": "x"]).status == 422)
    }

    @Test func aJobSurvivesTheDeathOfTheWorkerRunningItAndCompletesOnce() throws {
        // A slow embedder, so the job is still running when its worker is killed.
        let fake = try FakeOpenAIServer(apiKey: "sk-test")
        try fake.control(["reset": true, "delay_ms": 400])
        let collection = "ragd_jobs_" + Identifier.uuid().replacingOccurrences(of: "-", with: "").prefix(10)
        let server = try LiveServer([
            "MILVUS_COLLECTION": collection, "EMBEDDING_PROVIDER": "openai", "EMBEDDING_BASE_URL": fake.baseURL,
            "EMBEDDING_API_KEY": "sk-test", "EMBEDDING_MODEL": "fake-embed", "EMBEDDING_BATCH_SIZE": "1", "CHUNK_SIZE": "100",
            "CHUNK_OVERLAP": "0", "EMBEDDING_TIMEOUT": "10",
        ])
        defer {
            server.stop()
            _ = try? IngestFailureTests.milvus().drop(collection: collection)
        }
        try server.start()
        let tenant = "jobs-" + Identifier.uuid().prefix(8)
        let token = try server.token(tenant: tenant)
        let accepted = try server.requestJSON("POST", "/v1/documents?async=true", token: token, ["title": "Valves", "text": Self.text])
        #expect(accepted.status == 202, "\(accepted.body)")
        let jobID = try #require(accepted.json?["id"] as? String)

        // The runner's pid is in the job's lease: kill it while it embeds.
        let database = try PostgresConnection(url: server.environment["DATABASE_URL"]!)
        defer { database.close() }
        var owner = ""
        #expect(eventually(timeout: 20) {
            let running = try? database.query("SELECT lease_owner FROM ingest_jobs WHERE id = $1::uuid AND state = 'running'", [jobID])
            owner = running.flatMap { $0.rowCount == 1 ? $0[0, 0] : nil } ?? ""
            return !owner.isEmpty
        })
        let pid = try #require(Int32(owner.split(separator: "/").dropFirst().first ?? ""))
        #expect(pid != server.ragd?.pid, "a worker runs jobs, not the master")
        kill(pid, SIGKILL)

        let job = try #require(Self.waitForJob(server, "/v1/jobs/\(jobID)", token: token, timeout: 90))
        #expect(job["state"] as? String == "succeeded", "\(job)")
        #expect(job["attempts"] as? Int ?? 0 >= 2, "it ran again after the kill: \(job)")
        func count(_ sql: String) throws -> Int { Int(try database.query(sql, [tenant])[0, 0] ?? "") ?? -1 }
        #expect(try count("SELECT count(*) FROM documents WHERE tenant = $1") == 1, "stored exactly once")
        #expect(eventually(timeout: 30) { (try? count("SELECT count(*) FROM documents WHERE tenant = $1 AND status = 'pending'")) == 0 })
        let chunks = try count("SELECT count(*) FROM chunks WHERE tenant = $1")
        var vectors: Int?
        #expect(eventually(timeout: 30) {
            vectors = try? IngestFailureTests.milvus().count(collection: collection, tenant: tenant)
            return vectors == chunks
        }, "one vector per chunk: \(chunks) chunks, \(vectors.map(String.init) ?? "no answer") vectors; ragd said:\n\(Self.events(server))")
    }
}
