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

    // MARK: batches (issue 11): queued jobs of a tenant are ingested together

    /// A live server whose single worker runs every job (so one runner takes the whole
    /// batch) with the fake embedder, and `count` files queued by one batch upload.
    static func queueBatch(count: Int, fake: FakeOpenAIServer, collection: String)
        throws -> (server: LiveServer, token: String, tenant: String, jobs: [String], database: PostgresConnection) {
        let server = try LiveServer([
            "MILVUS_COLLECTION": collection, "EMBEDDING_PROVIDER": "openai", "EMBEDDING_BASE_URL": fake.baseURL,
            "EMBEDDING_API_KEY": "sk-test", "EMBEDDING_MODEL": "fake-embed", "EMBEDDING_BATCH_SIZE": "4", "CHUNK_SIZE": "100",
            "CHUNK_OVERLAP": "0", "EMBEDDING_TIMEOUT": "10", "WORKERS": "1",
        ])
        try server.start()
        let tenant = "batchjobs-" + Identifier.uuid().prefix(8)
        let token = try server.token(tenant: tenant)
        let files = try TestSupport.makeTemporaryDirectory("ragd-batchjobs")
        defer { TestSupport.removeDirectory(files) }
        for index in 0..<count {
            let text = Self.text.replacingOccurrences(of: "flux valve", with: "flux valve of manual \(index)")
            try Data(text.utf8).write(to: URL(fileURLWithPath: "\(files)/manual\(index).txt"))
        }
        let accepted = try server.request("POST", "/v1/documents?async=true", token: token,
                                          curlArguments: (0..<count).flatMap { ["-F", "files=@\(files)/manual\($0).txt"] }, timeout: 60)
        #expect(accepted.status == 202, "\(accepted.body)")
        let jobs = ((accepted.json?["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
        #expect(jobs.count == count)
        return (server, token, tenant, jobs, try PostgresConnection(url: server.environment["DATABASE_URL"]!))
    }

    /// Every job succeeded exactly once: one ready document each, nothing pending, one
    /// vector per chunk, and document frequencies equal to a recount of the postings.
    static func expectEachStoredOnce(_ server: LiveServer, token: String, tenant: String, jobs: [String],
                                     database: PostgresConnection, collection: String) throws {
        for id in jobs {
            let job = try #require(Self.waitForJob(server, "/v1/jobs/\(id)", token: token, timeout: 120))
            #expect(job["state"] as? String == "succeeded", "\(job)\n\(Self.events(server))")
            #expect(job["duplicate"] as? Bool == false)
        }
        func count(_ sql: String) throws -> Int { Int(try database.query(sql, [tenant])[0, 0] ?? "") ?? -1 }
        #expect(try count("SELECT count(*) FROM documents WHERE tenant = $1 AND status = 'ready'") == jobs.count, "stored exactly once")
        #expect(eventually(timeout: 30) { (try? count("SELECT count(*) FROM documents WHERE tenant = $1 AND status = 'pending'")) == 0 })
        #expect(try count("SELECT count(DISTINCT document_id) FROM ingest_jobs WHERE tenant = $1") == jobs.count)
        let chunks = try count("SELECT count(*) FROM chunks WHERE tenant = $1")
        var vectors: Int?
        #expect(eventually(timeout: 30) {
            vectors = try? IngestFailureTests.milvus().count(collection: collection, tenant: tenant)
            return vectors == chunks
        }, "one vector per chunk: \(chunks) chunks, \(vectors.map(String.init) ?? "no answer") vectors")
        #expect(try count("""
            SELECT count(*) FROM (SELECT term, df FROM keyword_terms WHERE tenant = $1 AND df <> 0) k
            FULL JOIN (SELECT term, count(*) AS n FROM chunk_terms WHERE tenant = $1 GROUP BY term) c ON c.term = k.term
            WHERE k.df IS DISTINCT FROM c.n
            """) == 0, "df equals a recount of the postings")
    }

    @Test func aBatchOfJobsFailingMidwayLeavesNothingThenCompletesOnce() throws {
        let fake = try FakeOpenAIServer(apiKey: "sk-test")
        try fake.control(["reset": true, "delay_ms": 300])
        let collection = "ragd_jobs_" + Identifier.uuid().replacingOccurrences(of: "-", with: "").prefix(10)
        let (server, token, tenant, jobs, database) = try Self.queueBatch(count: 4, fake: fake, collection: collection)
        defer {
            database.close()
            server.stop()
            _ = try? IngestFailureTests.milvus().drop(collection: collection)
        }
        func count(_ sql: String) throws -> Int { Int(try database.query(sql, [tenant])[0, 0] ?? "") ?? -1 }
        // The four jobs run as one batch; once its first embeddings request has been
        // answered, every later one fails.
        #expect(eventually(timeout: 30) {
            (try? count("""
                SELECT coalesce(max(n), 0) FROM (
                    SELECT count(*) AS n FROM ingest_jobs WHERE tenant = $1 AND state = 'running' GROUP BY lease_owner) AS owners
                """)) == 4
        }, "the four jobs run as one batch")
        #expect(eventually(timeout: 30) { ((try? fake.statuses()) ?? []).contains(200) })
        try fake.control(["fail_next": 100_000, "status": 500, "delay_ms": 0])
        // Every job of the batch failed this attempt and was queued again, with nothing of
        // the batch left behind (between attempts).
        #expect(eventually(timeout: 60) {
            (try? count("SELECT count(*) FROM ingest_jobs WHERE tenant = $1 AND state = 'queued' AND error IS NOT NULL")) == 4
                && (try? count("SELECT count(*) FROM documents WHERE tenant = $1")) == 0
        }, "\(Self.events(server))")
        // Never visible meanwhile (retries keep failing while these are checked).
        #expect(try count("SELECT count(*) FROM documents WHERE tenant = $1 AND status = 'ready'") == 0)
        #expect(try count("SELECT count(*) FROM chunk_terms WHERE tenant = $1") == 0)
        #expect(try IngestFailureTests.milvus().count(collection: collection, tenant: tenant) == 0)
        let search = try server.requestJSON("POST", "/v1/search", token: token, ["query": "flux valve manual", "mode": "keyword"])
        #expect(search.status == 200 && (search.json?["results"] as? [[String: Any]])?.isEmpty == true, "\(search.body)")

        try fake.control(["fail_next": 0])
        try Self.expectEachStoredOnce(server, token: token, tenant: tenant, jobs: jobs, database: database, collection: collection)
    }

    @Test func aBatchOfJobsSurvivesTheDeathOfItsWorkerAndCompletesOnce() throws {
        let fake = try FakeOpenAIServer(apiKey: "sk-test")
        try fake.control(["reset": true, "delay_ms": 400])
        let collection = "ragd_jobs_" + Identifier.uuid().replacingOccurrences(of: "-", with: "").prefix(10)
        let (server, token, tenant, jobs, database) = try Self.queueBatch(count: 4, fake: fake, collection: collection)
        defer {
            database.close()
            server.stop()
            _ = try? IngestFailureTests.milvus().drop(collection: collection)
        }
        // The whole batch is running under one worker's lease: kill that worker while it embeds.
        var owner = ""
        #expect(eventually(timeout: 30) {
            let running = try? database.query("""
                SELECT min(lease_owner), count(DISTINCT lease_owner), count(*) FROM ingest_jobs WHERE tenant = $1 AND state = 'running'
                """, [tenant])
            guard let running, running[0, 1] == "1", running[0, 2] == "4" else { return false }
            owner = running[0, 0] ?? ""
            return !owner.isEmpty
        }, "the four jobs run as one batch")
        let pid = try #require(Int32(owner.split(separator: "/").dropFirst().first ?? ""))
        #expect(pid != server.ragd?.pid, "a worker runs jobs, not the master")
        kill(pid, SIGKILL)
        try fake.control(["delay_ms": 0])

        try Self.expectEachStoredOnce(server, token: token, tenant: tenant, jobs: jobs, database: database, collection: collection)
        #expect(try database.query("SELECT min(attempts) FROM ingest_jobs WHERE tenant = $1", [tenant])[0, 0].flatMap { Int($0) } ?? 0 >= 2,
                "every job of the batch ran again after the kill")
    }
}
