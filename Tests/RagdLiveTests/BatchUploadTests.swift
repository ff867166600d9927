import Foundation
import RagdCore
import RagdPostgres
import RagdTesting
import Testing

/// The batch form of background uploads (`POST /v1/documents?async=true`, file parts
/// named `files`) and `GET /v1/jobs?ids=`, through nginx against the real stores.
@Suite(.serialized)
final class BatchUploadTests {
    let collection = "ragd_batch_" + Identifier.uuid().replacingOccurrences(of: "-", with: "").prefix(10)
    let server: LiveServer
    let files: String

    init() throws {
        server = try LiveServer(["MILVUS_COLLECTION": collection])
        try server.start()
        files = try TestSupport.makeTemporaryDirectory("ragd-batch")
        let texts = [
            "alpha.md": "# Alpha\n\nThe brass astrolabe points at the pole star.",
            "beta.txt": "Beta: the cormorant dives for herring near the breakwater.",
            "gamma.html": "<html><head><title>Gamma</title></head><body><p>The funicular climbs the escarpment.</p></body></html>",
            "empty.md": "   \n",
            "picture.png": "not a document",
        ]
        for (name, text) in texts { try Data(text.utf8).write(to: URL(fileURLWithPath: files + "/" + name)) }
        for name in ["handbook.pdf", "encrypted.pdf"] {
            try FileManager.default.copyItem(atPath: try TestDocuments.path(name), toPath: files + "/" + name)
        }
    }

    deinit {
        server.stop()
        TestSupport.removeDirectory(files)
        _ = try? IngestFailureTests.milvus().drop(collection: collection)
    }

    static func tenant() -> String { "batch-" + Identifier.uuid().prefix(8) }

    /// A multipart POST whose parts are curl `-F` arguments (`files=@/path`, `metadata=...`).
    func post(_ path: String, token: String, parts: [String]) throws -> HTTPResult {
        try server.request("POST", path, token: token, curlArguments: parts.flatMap { ["-F", $0] }, timeout: 60)
    }

    func file(_ name: String) -> String { "files=@" + files + "/" + name }

    func rows(_ tenant: String) throws -> (jobs: Int, documents: Int) {
        let database = try PostgresConnection(url: server.environment["DATABASE_URL"]!)
        defer { database.close() }
        let jobs = try database.query("SELECT count(*) FROM ingest_jobs WHERE tenant = $1", [tenant])[0, 0]
        let documents = try database.query("SELECT count(*) FROM documents WHERE tenant = $1", [tenant])[0, 0]
        return (Int(jobs ?? "") ?? -1, Int(documents ?? "") ?? -1)
    }

    @Test func aBatchQueuesOneJobPerFileThatOnlyItsTenantSees() throws {
        let tenant = Self.tenant()
        let token = try server.token(tenant: tenant)
        let accepted = try post("/v1/documents?async=true", token: token, parts: [
            file("alpha.md"), file("beta.txt"), file("gamma.html"), file("handbook.pdf"), #"metadata={"batch": "b1"}"#,
        ])
        #expect(accepted.status == 202, "\(accepted.body)")
        #expect(accepted.headers["location"] == nil, "several jobs: no single Location")
        let queued = try #require(accepted.json?["data"] as? [[String: Any]])
        #expect(queued.map { $0["title"] as? String ?? "" } == ["Alpha", "beta.txt", "Gamma", "Tidal Observatory Handbook"],
                "one job per file, in the order of the parts")
        #expect(queued.allSatisfy { ["queued", "running", "succeeded"].contains($0["state"] as? String ?? "") })
        let ids = queued.compactMap { $0["id"] as? String }
        #expect(Set(ids).count == 4)

        // One request follows them all.
        var jobs: [[String: Any]] = []
        let done = try eventually(timeout: 90) {
            jobs = try server.request("GET", "/v1/jobs?ids=" + ids.joined(separator: ","), token: token).json?["data"] as? [[String: Any]] ?? []
            return jobs.count == 4 && jobs.allSatisfy { $0["state"] as? String == "succeeded" }
        }
        #expect(done, "every job succeeded within 90 s: \(jobs)")
        #expect(jobs.compactMap { $0["id"] as? String } == ids, "in the order asked")
        let documentIDs = jobs.compactMap { $0["document_id"] as? String }
        #expect(documentIDs.count == 4)

        // The documents: found by search, the metadata on each, sources from the file names.
        let found = try server.requestJSON("POST", "/v1/search", token: token,
                                           ["query": "cormorant herring", "mode": "keyword", "filter": ["metadata": ["batch": "b1"]]])
        #expect((found.json?["results"] as? [[String: Any]])?.first?["document_id"] as? String == documentIDs[1], "\(found.body)")
        let pdf = try server.request("GET", "/v1/documents/\(documentIDs[3])", token: token).json
        #expect(pdf?["source"] as? String == "handbook.pdf" && pdf?["pages"] as? Int == 4)

        // Another tenant: every job is missing, one by one or together.
        let other = try server.token(tenant: Self.tenant())
        for id in ids { #expect(try server.request("GET", "/v1/jobs/\(id)", token: other).status == 404) }
        let foreign = try server.request("GET", "/v1/jobs?ids=" + ids.joined(separator: ","), token: other)
        #expect(foreign.status == 200 && (foreign.json?["data"] as? [Any])?.isEmpty == true, "\(foreign.body)")

        // Bad id lists are 422 naming ids.
        for query in ["", "?ids=", "?ids=not-a-uuid", "?ids=" + ids[0] + ",,", "?ids=" + Array(repeating: ids[0], count: 101).joined(separator: ",")] {
            let refused = try server.request("GET", "/v1/jobs" + query, token: token)
            if query.contains(",,") || query.hasSuffix("ids=") || query.isEmpty || query.contains("not-a") {
                #expect(refused.status == 422, "\(query): \(refused.body)")
                #expect((refused.json?["errors"] as? [[String: Any]])?.first?["field"] as? String == "ids")
            } else {
                // 101 times the same id is one id: repeats count once.
                #expect(refused.status == 200 && (refused.json?["data"] as? [Any])?.count == 1, "\(refused.body)")
            }
        }
    }

    @Test func aBatchWithOneRefusedFileQueuesNothing() throws {
        let tenant = Self.tenant()
        let token = try server.token(tenant: tenant)
        let encrypted = try post("/v1/documents?async=true", token: token, parts: [file("alpha.md"), file("encrypted.pdf"), file("beta.txt")])
        #expect(encrypted.status == 422, "\(encrypted.body)")
        #expect(encrypted.headers["content-type"] == "application/problem+json")
        let detail = encrypted.json?["detail"] as? String ?? ""
        #expect(detail.hasPrefix("files[1] (encrypted.pdf): ") && detail.contains("encrypted"), "\(detail)")
        let part = encrypted.json?["part"] as? [String: Any]
        #expect(part?["index"] as? Int == 1 && part?["filename"] as? String == "encrypted.pdf" && part?["field"] as? String == "files")

        let unsupported = try post("/v1/documents?async=true", token: token, parts: [file("alpha.md"), file("beta.txt"), file("picture.png")])
        #expect(unsupported.status == 415, "\(unsupported.body)")
        #expect((unsupported.json?["part"] as? [String: Any])?["index"] as? Int == 2)

        let empty = try post("/v1/documents?async=true", token: token, parts: [file("empty.md"), file("alpha.md")])
        #expect(empty.status == 422 && (empty.json?["errors"] as? [[String: Any]])?.first?["field"] as? String == "files[0]", "\(empty.body)")

        // Fields a batch does not take, and batches without async=true.
        let cases: [(query: String, parts: [String], field: String)] = [
            ("?async=true", [file("alpha.md"), "title=One title for all"], "title"),
            ("?async=true", [file("alpha.md"), "file=@" + files + "/beta.txt"], "file"),
            ("?async=true", [file("alpha.md"), "metadata=[1]"], "metadata"),
            ("?async=true", [file("alpha.md"), "metadata=@" + files + "/alpha.md"], "metadata"),
            ("?async=true", ["files=just text, no file", file("alpha.md")], "files[0]"),
            ("?async=true", [file("alpha.md"), "sources=docs/alpha.md"], "sources"),
            ("?async=true", [file("alpha.md"), file("beta.txt"), #"sources=["docs/alpha.md"]"#], "sources"),
            ("?async=true", [file("alpha.md"), #"sources=[7]"#], "sources"),
            ("?async=true", [file("alpha.md"), #"sources=["a\u0000b"]"#], "sources"),
            ("?async=true", [file("alpha.md"), #"sources=[" "]"#], "sources"),
            ("?async=true", [file("alpha.md"), "sources=@" + files + "/alpha.md"], "sources"),
            ("", [file("alpha.md"), file("beta.txt")], "files"),
            ("?async=false", [file("alpha.md")], "files"),
        ]
        for item in cases {
            let refused = try post("/v1/documents" + item.query, token: token, parts: item.parts)
            #expect(refused.status == 422, "\(item): \(refused.body)")
            #expect((refused.json?["errors"] as? [[String: Any]])?.first?["field"] as? String == item.field, "\(item): \(refused.body)")
        }
        // The single form takes one file; a second one is no longer dropped without a word.
        let two = try post("/v1/documents", token: token, parts: ["file=@" + files + "/alpha.md", "file=@" + files + "/beta.txt"])
        #expect(two.status == 422 && (two.json?["errors"] as? [[String: Any]])?.first?["field"] as? String == "file", "\(two.body)")

        #expect(try rows(tenant) == (0, 0), "nothing queued, nothing stored")
    }

    @Test func sourcesNameEachFilesDocument() throws {
        let token = try server.token(tenant: Self.tenant())
        let sources = ["manuals/sea/alpha.md", "manuals/beta.txt"]
        let accepted = try post("/v1/documents?async=true", token: token, parts: [
            file("alpha.md"), file("beta.txt"), #"sources=["manuals/sea/alpha.md", "manuals/beta.txt"]"#,
        ])
        #expect(accepted.status == 202, "\(accepted.body)")
        let ids = (accepted.json?["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect((accepted.json?["data"] as? [[String: Any]])?.map { $0["title"] as? String ?? "" } == ["Alpha", "beta.txt"],
                "titles still come from the documents and file names")
        var jobs: [[String: Any]] = []
        let done = try eventually(timeout: 90) {
            jobs = try server.request("GET", "/v1/jobs?ids=" + ids.joined(separator: ","), token: token).json?["data"] as? [[String: Any]] ?? []
            return jobs.count == 2 && jobs.allSatisfy { $0["state"] as? String == "succeeded" }
        }
        #expect(done, "\(jobs)")
        let stored = try jobs.map { job in
            try server.request("GET", "/v1/documents/\(job["document_id"] as? String ?? "")", token: token).json?["source"] as? String
        }
        #expect(stored == sources, "each document's source is its entry, in the order of the files")
    }

    @Test func theBatchLimitsAreThoseOfTheBody() throws {
        let token = try server.token(tenant: Self.tenant())
        // 65 parts: over the 64 parts a multipart body may have.
        let many = try post("/v1/documents?async=true", token: token, parts: Array(repeating: file("alpha.md"), count: 65))
        #expect(many.status == 400 && (many.json?["detail"] as? String)?.contains("more than 64 parts") == true, "\(many.body)")
        // 64 copies of one file are 64 jobs; the text is stored once.
        let tenant = Self.tenant()
        let owner = try server.token(tenant: tenant)
        let full = try post("/v1/documents?async=true", token: owner, parts: Array(repeating: file("beta.txt"), count: 64))
        #expect(full.status == 202 && (full.json?["data"] as? [Any])?.count == 64, "\(full.body.prefix(300))")
        let ids = (full.json?["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        var states: [String] = []
        let settled = try eventually(timeout: 120) {
            states = (try server.request("GET", "/v1/jobs?ids=" + ids.joined(separator: ","), token: owner).json?["data"]
                as? [[String: Any]] ?? []).compactMap { $0["state"] as? String }
            return states.count == 64 && states.allSatisfy { $0 == "succeeded" }
        }
        #expect(settled, "\(Dictionary(grouping: states, by: { $0 }).mapValues(\.count))")
        #expect(try rows(tenant) == (64, 1), "64 jobs, one document")
    }
}
