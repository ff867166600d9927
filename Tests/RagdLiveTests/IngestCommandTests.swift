import Foundation
import RagdCore
import RagdMilvus
import RagdPostgres
import RagdTesting
import Testing

/// `ragd ingest` (the built binary, as a child process whose stdout is a file, not a
/// terminal) against a real ragd behind real nginx: folders in, found by search, resumed
/// after a SIGKILL without duplicates, refused files reported, background jobs, a spent
/// rate limit and a server that is not up yet.
@Suite(.serialized)
final class IngestCommandTests {
    let collection = "ragd_ingest_" + Identifier.uuid().replacingOccurrences(of: "-", with: "").prefix(10)
    /// The embedder, so a test can slow it down (the kill needs a run still going).
    let fake: FakeOpenAIServer
    let server: LiveServer

    init() throws {
        fake = try FakeOpenAIServer(apiKey: "sk-test")
        try fake.reset()
        server = try LiveServer([
            "MILVUS_COLLECTION": collection, "EMBEDDING_PROVIDER": "openai", "EMBEDDING_BASE_URL": fake.baseURL,
            "EMBEDDING_API_KEY": "sk-test", "EMBEDDING_MODEL": "fake-embed", "EMBEDDING_TIMEOUT": "10",
        ])
        try server.start()
    }

    deinit {
        server.stop()
        _ = try? IngestFailureTests.milvus().drop(collection: collection)
    }

    static func tenant() -> String { "ingest-" + Identifier.uuid().prefix(8) }

    // MARK: helpers

    struct Run {
        var status: Int32?
        var output: String
        /// The per-file progress lines (`[k/N] ...`).
        var fileLines: [String] { output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("[") } }
        func lines(_ word: String) -> [String] { fileLines.filter { $0.contains("] \(word) ") } }
    }

    /// A temporary directory holding `files` (path below it -> content).
    static func folder(_ files: [String: String]) throws -> String {
        let root = try TestSupport.makeTemporaryDirectory("ragd-ingest-cli")
        for (path, content) in files { try write(content, to: root + "/" + path) }
        return root
    }

    static func write(_ content: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Starts `ragd ingest ARGS --url ... --ca ...` in `directory` with `RAGD_TOKEN`.
    func startIngest(_ arguments: [String], token: String, in directory: String, url: String? = nil) throws -> ChildProcess {
        let certificate = try Certificate.shared().cert
        return try ChildProcess(Paths.ragdBinary, ["ingest"] + arguments + ["--url", url ?? server.baseURL, "--ca", certificate],
                                environment: ["RAGD_TOKEN": token], logPath: directory + "/ingest-\(Identifier.uuid().prefix(8)).log",
                                currentDirectory: directory)
    }

    func ingest(_ arguments: [String], token: String, in directory: String, url: String? = nil, timeout: Double = 120) throws -> Run {
        let child = try startIngest(arguments, token: token, in: directory, url: url)
        let status = child.waitForExit(timeout: timeout)
        if status == nil { child.stop(signal: SIGKILL, grace: 1) }
        return Run(status: status, output: child.log)
    }

    /// Every document of the tenant (all pages).
    func documents(_ token: String) throws -> [[String: Any]] {
        var all: [[String: Any]] = []
        var cursor: String?
        repeat {
            let page = try server.request("GET", "/v1/documents?limit=100" + (cursor.map { "&cursor=" + $0 } ?? ""), token: token)
            #expect(page.status == 200, "\(page.body)")
            all += page.json?["data"] as? [[String: Any]] ?? []
            cursor = page.json?["next_cursor"] as? String
        } while cursor != nil
        return all
    }

    /// The document the keyword leg ranks first for `query`.
    func topDocument(_ token: String, _ query: String) throws -> String? {
        let result = try server.requestJSON("POST", "/v1/search", token: token, ["query": query, "mode": "keyword", "top_k": 1])
        #expect(result.status == 200, "\(result.body)")
        return (result.json?["results"] as? [[String: Any]])?.first?["document_id"] as? String
    }

    func count(_ sql: String, _ tenant: String) throws -> Int {
        let database = try PostgresConnection(url: server.environment["DATABASE_URL"]!)
        defer { database.close() }
        return Int(try database.query(sql, [tenant])[0, 0] ?? "") ?? -1
    }

    /// The valid lines of a state journal.
    static func stateLines(_ path: String) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
    }

    // MARK: tests

    @Test func aFolderIsLoadedWithPlainProgressFoundBySearchAndSkippedTheSecondTime() throws {
        let work = try Self.folder([
            "docs/notes/alpha.md": "# Alpha notes\n\nThe zorblat gauge measures the tidal flux at the northern pier.",
            "docs/notes/deep/beta.txt": "Beta: the quernstone mill grinds barley on Tuesdays.",
            "docs/gamma.html": "<html><head><title>Gamma page</title></head><body><p>The wombatron crane lifts containers.</p></body></html>",
            "docs/delta.markdown": "Delta\n=====\n\nThe pelicourt ferry leaves at dawn.",
            "docs/picture.png": "not an image, and not sent",
            "docs/.hidden/epsilon.md": "hidden folders are skipped",
        ])
        defer { TestSupport.removeDirectory(work) }
        try FileManager.default.copyItem(atPath: try TestDocuments.path("handbook.pdf"), toPath: work + "/docs/handbook.pdf")
        let token = try server.token(tenant: Self.tenant())

        let first = try ingest(["docs"], token: token, in: work)
        #expect(first.status == 0, "\(first.output)")
        #expect(!first.output.contains("\r") && !first.output.contains("\u{1B}"), "no terminal: plain lines")
        let ingested = first.lines("ingested")
        #expect(ingested.count == 5 && first.fileLines.count == 5, "\(first.output)")
        #expect(Set(first.fileLines.map { String($0.prefix(while: { $0 != "]" })) }) == Set((1...5).map { "[\($0)/5" }))
        #expect(ingested.contains { $0.contains("docs/notes/deep/beta.txt (1 chunk") })
        #expect(first.output.contains("ignored 1 file(s) of other types"))
        #expect(first.output.contains("5 ingested ("), "\(first.output)")
        #expect(Self.stateLines(work + "/.ragd-ingest-state.jsonl").count == 5, "the state file in the current directory")

        // Every file is a document whose source is its path as given, found by search.
        let stored = try documents(token)
        var bySource: [String: String] = [:]
        for document in stored { bySource[document["source"] as? String ?? ""] = document["id"] as? String }
        #expect(Set(bySource.keys) == ["docs/notes/alpha.md", "docs/notes/deep/beta.txt", "docs/gamma.html", "docs/delta.markdown",
                                       "docs/handbook.pdf"])
        #expect(try topDocument(token, "zorblat gauge") == bySource["docs/notes/alpha.md"])
        #expect(try topDocument(token, "quernstone") == bySource["docs/notes/deep/beta.txt"])
        #expect(try topDocument(token, "wombatron crane") == bySource["docs/gamma.html"])
        #expect(try topDocument(token, "pelicourt ferry") == bySource["docs/delta.markdown"])
        #expect(try topDocument(token, "storm surge warning duty officer") == bySource["docs/handbook.pdf"])
        let pdf = try #require(stored.first { $0["source"] as? String == "docs/handbook.pdf" })
        #expect(pdf["pages"] as? Int == 4 && pdf["content_type"] as? String == "application/pdf")

        // Nothing changed: nothing is sent.
        let embeddingsBefore = try fake.requests(to: "/embeddings").count
        let second = try ingest(["docs"], token: token, in: work)
        #expect(second.status == 0, "\(second.output)")
        #expect(second.lines("unchanged").count == 5 && second.fileLines.count == 5, "\(second.output)")
        #expect(second.output.contains("0 ingested"))
        #expect(try fake.requests(to: "/embeddings").count == embeddingsBefore)

        // Touched but the same bytes: still unchanged. Edited: sent again, as a new document.
        let alpha = work + "/docs/notes/alpha.md"
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: alpha)
        try Self.write("Beta, second edition: the quernstone mill now grinds rye.", to: work + "/docs/notes/deep/beta.txt")
        let third = try ingest(["docs"], token: token, in: work)
        #expect(third.status == 0, "\(third.output)")
        #expect(third.lines("unchanged").count == 4 && third.lines("ingested").count == 1, "\(third.output)")
        #expect(third.lines("ingested").first?.contains("docs/notes/deep/beta.txt") == true)
        #expect(try documents(token).count == 6)
    }

    @Test func aRunKilledMidwayIsCompletedByTheNextWithoutDuplicates() throws {
        let files = Dictionary(uniqueKeysWithValues: (1...40).map { index in
            (String(format: "batch/file%02d.txt", index), "File \(index) describes the marker word kiln\(index)x and nothing else.")
        })
        let work = try Self.folder(files)
        defer { TestSupport.removeDirectory(work) }
        let tenant = Self.tenant()
        let token = try server.token(tenant: tenant)
        let state = work + "/run.jsonl"

        // A slow embedder keeps the run going long enough to be killed in the middle.
        try fake.control(["delay_ms": 150])
        let child = try startIngest(["batch", "--state", state, "--concurrency", "2"], token: token, in: work)
        let started = eventually(timeout: 60) { Self.stateLines(state).count >= 6 }
        child.signal(SIGKILL)
        let status = child.waitForExit(timeout: 10)
        try fake.control(["delay_ms": 0])
        #expect(started, "six files done within 60 s: \(child.log)")
        #expect(status == 128 + SIGKILL, "killed, not finished: \(child.log)")
        let done = Set(Self.stateLines(state).compactMap { $0["path"] as? String })
        #expect(done.count >= 6 && done.count < 40, "\(done.count) files done before the kill")

        let rerun = try ingest(["batch", "--state", state, "--concurrency", "2"], token: token, in: work)
        #expect(rerun.status == 0, "\(rerun.output)")
        #expect(rerun.fileLines.count == 40)
        #expect(rerun.lines("unchanged").count == done.count, "what the state holds is not sent again: \(rerun.output)")
        // A file the server stored just before the kill, but not yet in the state, is a duplicate.
        #expect(rerun.lines("ingested").count + rerun.lines("duplicate").count == 40 - done.count)
        #expect(rerun.lines("duplicate").count <= 2, "at most one upload in flight per thread when killed")
        let stored = try documents(token)
        #expect(stored.count == 40, "each file exactly once")
        #expect(Set(stored.compactMap { $0["source"] as? String }).count == 40)
        #expect(try count("SELECT count(*) FROM documents WHERE tenant = $1 AND status <> 'ready'", tenant) == 0)
        for index in [1, 20, 40] {
            #expect(try topDocument(token, "kiln\(index)x") != nil, "file \(index) is found")
        }
    }

    /// Synchronous, and in the background mode, whose batch request the server refuses as
    /// a whole for one unreadable file: the files are then sent one by one, so each ends
    /// with its own answer.
    @Test(arguments: [[], ["--async"]])
    func filesTheServerRefusesAreReportedAndTheStatusIsOne(mode: [String]) throws {
        let work = try Self.folder(["docs/good.md": "# Good\n\nThe varnished tiller is stored dry.", "picture.png": "png"])
        defer { TestSupport.removeDirectory(work) }
        for name in ["encrypted.pdf", "truncated.pdf"] {
            try FileManager.default.copyItem(atPath: try TestDocuments.path(name), toPath: work + "/docs/" + name)
        }
        let token = try server.token(tenant: Self.tenant())
        // The picture is named explicitly: an unsupported type is an error, not a silent skip.
        let run = try ingest(["docs", "picture.png", "missing.md"] + mode, token: token, in: work)
        #expect(run.status == 1, "\(run.output)")
        #expect(run.lines("ingested").count == 1 && run.lines("FAILED").count == 4, "\(run.output)")
        let encrypted = try #require(run.fileLines.first { $0.contains("docs/encrypted.pdf") })
        #expect(encrypted.contains("422") && encrypted.contains("encrypted"), "the server's problem detail: \(encrypted)")
        #expect(run.fileLines.contains { $0.contains("docs/truncated.pdf") && $0.contains("truncated") })
        #expect(run.fileLines.contains { $0.contains("picture.png") && $0.contains("not a supported type") })
        #expect(run.fileLines.contains { $0.contains("missing.md") && $0.contains("cannot be read") })
        let report = try #require(run.output.components(separatedBy: "failed:\n").last)
        #expect(report.split(separator: "\n").filter { $0.hasPrefix("  ") }.count == 4, "listed again at the end: \(run.output)")
        #expect(try documents(token).count == 1)

        // Failures are not remembered as done: the next run tries them again.
        let again = try ingest(["docs"] + mode, token: token, in: work)
        #expect(again.status == 1 && again.lines("unchanged").count == 1 && again.lines("FAILED").count == 2, "\(again.output)")
    }

    @Test func backgroundModeWaitsForItsJobsAndResumesAJobAfterAKill() throws {
        let files = Dictionary(uniqueKeysWithValues: (1...5).map { index in
            ("queue/item\(index).md", "# Item \(index)\n\nThe marker word is lantern\(index)q for item \(index).")
        })
        let work = try Self.folder(files)
        defer { TestSupport.removeDirectory(work) }
        try FileManager.default.copyItem(atPath: try TestDocuments.path("handbook.pdf"), toPath: work + "/queue/handbook.pdf")
        let tenant = Self.tenant()
        let token = try server.token(tenant: tenant)

        // One batch request for the six files: once its jobs are queued, the run only
        // waits for them, so a kill then leaves no upload half-answered.
        try fake.control(["delay_ms": 300])
        let child = try startIngest(["queue", "--async", "--concurrency", "1"], token: token, in: work)
        let queued = eventually(timeout: 60) { child.log.contains(" as job ") }
        child.signal(SIGKILL)
        _ = child.waitForExit(timeout: 10)
        try fake.control(["delay_ms": 0])
        #expect(queued, "\(child.log)")
        let firstJob = try #require(child.log.split(separator: "\n").first { $0.hasPrefix("queued ") })
        let firstFile = String(firstJob.dropFirst("queued ".count).prefix { $0 != " " })

        let rerun = try ingest(["queue", "--async", "--concurrency", "2"], token: token, in: work)
        #expect(rerun.status == 0, "\(rerun.output)")
        #expect(rerun.fileLines.count == 6 && rerun.lines("ingested").count + rerun.lines("duplicate").count == 6, "\(rerun.output)")
        #expect(child.log.split(separator: "\n").filter { $0.hasPrefix("queued ") }.count == 6, "one batch: \(child.log)")
        #expect(!rerun.output.contains("queued \(firstFile) "), "the job of the killed run is awaited, not queued again")
        #expect(!rerun.output.contains("queued "), "every job of the killed run is awaited: \(rerun.output)")
        #expect(try count("SELECT count(*) FROM ingest_jobs WHERE tenant = $1", tenant) == 6, "one job per file")
        #expect(try count("SELECT count(*) FROM ingest_jobs WHERE tenant = $1 AND state = 'succeeded'", tenant) == 6)
        let stored = try documents(token)
        #expect(stored.count == 6)
        #expect(stored.first { $0["source"] as? String == "queue/handbook.pdf" }?["pages"] as? Int == 4)
        #expect(try topDocument(token, "lantern3q") == stored.first { $0["source"] as? String == "queue/item3.md" }?["id"] as? String)
    }

    @Test func aTokenWithoutWriteScopeStopsTheRunWithStatusTwo() throws {
        let work = try Self.folder(["a.md": "# A\n\ntext", "b.md": "# B\n\ntext"])
        defer { TestSupport.removeDirectory(work) }
        let tenant = Self.tenant()
        let token = try server.token(tenant: tenant, scopes: "documents:read")
        let run = try ingest(["."], token: token, in: work)
        #expect(run.status == 2, "\(run.output)")
        #expect(run.output.contains("ingest stopped: the server refused the token: 403"), "\(run.output)")
        #expect(try count("SELECT count(*) FROM documents WHERE tenant = $1", tenant) == 0)
        // No token at all is a usage error.
        let none = try ChildProcess(Paths.ragdBinary, ["ingest", "."], environment: [:], logPath: work + "/none.log", currentDirectory: work)
        #expect(none.waitForExit(timeout: 30) == 64, "\(none.log)")
        #expect(none.log.contains("no token"))
    }

    @Test func aSpentRateLimitIsWaitedOut() throws {
        // A budget of 20 requests a minute: the burst is spent after 20 files, then each
        // request waits the Retry-After the server gives (about 3 s).
        let limited = try LiveServer(["MILVUS_COLLECTION": collection, "RATE_LIMIT_PER_MINUTE": "20"])
        defer { limited.stop() }
        try limited.start()
        let files = Dictionary(uniqueKeysWithValues: (1...23).map { ("r/f\($0).txt", "Rate limited file \($0): marker quill\($0)z.") })
        let work = try Self.folder(files)
        defer { TestSupport.removeDirectory(work) }
        let token = try limited.token(tenant: Self.tenant())
        let run = try ingest(["r"], token: token, in: work, url: limited.baseURL)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.lines("ingested").count == 23, "\(run.output)")
        let metrics = try limited.get("/metrics").body
        let rejections = metrics.split(separator: "\n").filter { $0.hasPrefix("rag_rate_limit_rejections_total") }
            .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
        #expect(rejections >= 1, "the run met 429s and waited them out")
    }

    @Test func aServerThatIsNotUpYetIsRetried() throws {
        // nginx without ragd behind it answers 502, as during a restart.
        let late = try LiveServer(["MILVUS_COLLECTION": collection])
        defer { late.stop() }
        try late.startNginx()
        let work = try Self.folder(["late.md": "# Late\n\nThe marker word is oxbow7k."])
        defer { TestSupport.removeDirectory(work) }
        let child = try startIngest(["late.md"], token: try late.token(tenant: Self.tenant()), in: work, url: late.baseURL)
        let accessLog = late.directory + "/nginx/logs/access.log"
        let refused = eventually(timeout: 30) {
            ((try? String(contentsOfFile: accessLog, encoding: .utf8)) ?? "").contains("\"status\":502")
        }
        #expect(refused, "the first upload met a 502")
        try late.startRagd()
        let status = child.waitForExit(timeout: 90)
        #expect(status == 0, "\(child.log)")
        #expect(child.log.contains("] ingested late.md"), "\(child.log)")
    }
}
