import Foundation
import RagdCore
import RagdMilvus
import RagdPostgres
import RagdTesting
import Testing

/// PDF and Word uploads end to end, through nginx, against the real PostgreSQL and
/// Milvus, with files made by real tools at test time (TestDocuments).
@Suite(.serialized)
final class DocumentFormatsTests {
    let collection = "ragd_formats_" + Identifier.uuid().replacingOccurrences(of: "-", with: "").prefix(10)
    let server: LiveServer
    static let docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    init() throws {
        server = try LiveServer(["MILVUS_COLLECTION": collection])
        try server.start()
    }

    deinit {
        server.stop()
        let env = ProcessInfo.processInfo.environment
        if let milvus = try? MilvusClient(configuration: .init(host: env["MILVUS_HOST"] ?? "127.0.0.1",
                                                                 port: Int(env["MILVUS_PORT"] ?? "") ?? 19530)) {
            _ = try? milvus.drop(collection: collection)
        }
    }

    static func tenant() -> String { "f" + Identifier.uuid().prefix(8) }

    /// Rows of the tenant in PostgreSQL, whatever their state.
    func rowCount(tenant: String) throws -> (documents: Int, chunks: Int) {
        let connection = try PostgresConnection(url: server.environment["DATABASE_URL"]!)
        defer { connection.close() }
        let documents = try connection.query("SELECT count(*) FROM documents WHERE tenant = $1", [tenant])[0, 0]
        let chunks = try connection.query("SELECT count(*) FROM chunks WHERE tenant = $1", [tenant])[0, 0]
        return (Int(documents ?? "") ?? -1, Int(chunks ?? "") ?? -1)
    }

    func rawUpload(_ token: String, _ name: String, type: String) throws -> HTTPResult {
        try server.request("POST", "/v1/documents", token: token, headers: ["Content-Type": type],
                           bodyFile: try TestDocuments.path(name), timeout: 60)
    }

    func formUpload(_ token: String, _ name: String, type: String? = nil) throws -> HTTPResult {
        let part = "file=@" + (try TestDocuments.path(name)) + (type.map { ";type=" + $0 } ?? "")
        return try server.request("POST", "/v1/documents", token: token, curlArguments: ["-F", part], timeout: 60)
    }

    func search(_ token: String, _ query: String) throws -> [[String: Any]] {
        let result = try server.requestJSON("POST", "/v1/search", token: token, ["query": query, "top_k": 3])
        #expect(result.status == 200, "\(result.body)")
        return result.json?["results"] as? [[String: Any]] ?? []
    }

    @Test func pdfIsFoundWithItsPageNumbers() throws {
        let token = try server.token(tenant: Self.tenant())
        let created = try rawUpload(token, "handbook.pdf", type: "application/pdf")
        #expect(created.status == 201, "\(created.body)")
        let document = try #require(created.json)
        let id = try #require(document["id"] as? String)
        #expect(document["title"] as? String == "Tidal Observatory Handbook", "the PDF's Info Title")
        #expect(document["content_type"] as? String == "application/pdf")
        #expect(document["pages"] as? Int == 4)
        #expect(((document["timings"] as? [String: Any])?["extract"] as? Double ?? 0) > 0, "the readers' time is reported")

        // Every chunk names its pages, and they cover the document in order.
        let listing = try server.request("GET", "/v1/documents/\(id)/chunks", token: token)
        let chunks = try #require(listing.json?["data"] as? [[String: Any]])
        #expect(!chunks.isEmpty)
        let starts = chunks.compactMap { $0["page_start"] as? Int }, ends = chunks.compactMap { $0["page_end"] as? Int }
        #expect(starts.count == chunks.count && ends.count == chunks.count, "\(chunks)")
        #expect(starts == starts.sorted() && starts.first == 1 && ends.last == 4)

        // The last page's passage is found and cited as page 4; the table row by row on page 2.
        let surge = try search(token, "what does the duty officer do when a storm surge warning is issued")
        #expect(surge.first?["document_id"] as? String == id)
        #expect((surge.first?["text"] as? String)?.contains("storm surge warning") == true)
        #expect(surge.first?["page_start"] as? Int == 4 || (surge.first?["page_end"] as? Int) == 4, "\(surge.first ?? [:])")
        let table = try search(token, "Bravo gauge at Lighthouse rock depth")
        let row = try #require(table.first { ($0["text"] as? String)?.contains("Bravo | Lighthouse rock | 7") == true })
        #expect((row["page_start"] as? Int ?? 0) <= 2 && (row["page_end"] as? Int ?? 0) >= 2)

        // Citations of an answer carry the pages too.
        let answer = try server.requestJSON("POST", "/v1/query", token: token,
                                            ["question": "What happens when a storm surge warning is issued?", "top_k": 2])
        #expect(answer.status == 200, "\(answer.body)")
        let citations = try #require(answer.json?["citations"] as? [[String: Any]])
        #expect(citations.contains { $0["document_id"] as? String == id && $0["page_end"] as? Int == 4 }, "\(answer.body)")

        // The same PDF again, now as a multipart upload typed only by its file name.
        let again = try formUpload(token, "handbook.pdf", type: "application/octet-stream")
        #expect(again.status == 200, "\(again.body)")
        #expect(again.json?["duplicate"] as? Bool == true && again.json?["id"] as? String == id)
    }

    @Test func aBackgroundJobKeepsThePages() throws {
        let token = try server.token(tenant: Self.tenant())
        let queued = try server.request("POST", "/v1/documents?async=true", token: token, headers: ["Content-Type": "application/pdf"],
                                        bodyFile: try TestDocuments.path("handbook.pdf"), timeout: 60)
        #expect(queued.status == 202, "\(queued.body)")
        let job = try #require(queued.json?["id"] as? String)
        var documentID: String?
        let done = try eventually(timeout: 60) {
            let state = try server.request("GET", "/v1/jobs/\(job)", token: token)
            documentID = state.json?["document_id"] as? String
            return state.json?["state"] as? String == "succeeded"
        }
        #expect(done, "the job did not succeed within 60 s")
        let id = try #require(documentID)
        #expect(try server.request("GET", "/v1/documents/\(id)", token: token).json?["pages"] as? Int == 4)
        let chunks = try server.request("GET", "/v1/documents/\(id)/chunks", token: token).json?["data"] as? [[String: Any]] ?? []
        #expect(!chunks.isEmpty && chunks.allSatisfy { $0["page_start"] is Int && $0["page_end"] is Int }, "\(chunks)")
        #expect(chunks.last?["page_end"] as? Int == 4)
    }

    @Test func docxIsFoundWithoutPageNumbers() throws {
        let tenant = Self.tenant()
        let token = try server.token(tenant: tenant)
        let created = try formUpload(token, "report.docx")
        #expect(created.status == 201, "\(created.body)")
        let id = try #require(created.json?["id"] as? String)
        #expect(created.json?["title"] as? String == "Beekeeping Field Report", "docProps/core.xml's title")
        #expect(created.json?["content_type"] as? String == Self.docxType)
        #expect(created.json?["source"] as? String == "report.docx")
        #expect(created.json?["pages"] is NSNull)

        let found = try search(token, "varroa mites counted on sticky boards")
        #expect(found.first?["document_id"] as? String == id)
        #expect(found.first?["page_start"] is NSNull && found.first?["page_end"] is NSNull)
        let table = try search(token, "which hive has an unmarked queen")
        #expect(table.contains { ($0["text"] as? String)?.contains("Basil | unmarked | 11") == true }, "\(table)")

        let raw = try rawUpload(token, "report.docx", type: Self.docxType)
        #expect(raw.status == 200 && raw.json?["duplicate"] as? Bool == true, "\(raw.body)")
        #expect(try rowCount(tenant: tenant).documents == 1)
    }

    @Test func unreadableFilesAre422AndLeaveNothing() throws {
        let tenant = Self.tenant()
        let token = try server.token(tenant: tenant)
        let cases: [(name: String, type: String, reason: String)] = [
            ("encrypted.pdf", "application/pdf", "encrypted"),
            ("truncated.pdf", "application/pdf", "truncated"),
            ("empty.pdf", "application/pdf", "empty (0 bytes)"),
            ("scanned.pdf", "application/pdf", "no text layer"),
            ("notzip.docx", Self.docxType, "not a zip archive"),
            ("nobody.docx", Self.docxType, "no word/document.xml"),
        ]
        for item in cases {
            for (how, result) in [("raw", try rawUpload(token, item.name, type: item.type)), ("multipart", try formUpload(token, item.name))] {
                #expect(result.status == 422, "\(item.name) \(how): \(result.body)")
                #expect(result.headers["content-type"] == "application/problem+json")
                #expect((result.json?["detail"] as? String)?.contains(item.reason) == true, "\(item.name) \(how): \(result.body)")
            }
        }
        #expect(try rowCount(tenant: tenant) == (0, 0), "nothing of a refused file is stored")
        let list = try server.request("GET", "/v1/documents", token: token)
        #expect((list.json?["data"] as? [[String: Any]])?.isEmpty == true)
    }

    @Test func decompressionBombsAreRefusedWithoutTheMemory() throws {
        let tenant = Self.tenant()
        let token = try server.token(tenant: tenant)
        let workers = try #require(server.waitForWorkers(2))
        let before = workers.map(peakResidentKiB).max() ?? 0
        let started = Date()
        for (name, reason) in [("bomb.docx", "over the 200 MiB limit"), ("liar.docx", "more than the 1024 bytes its directory declares")] {
            for (how, result) in [("raw", try rawUpload(token, name, type: Self.docxType)), ("multipart", try formUpload(token, name))] {
                #expect(result.status == 422, "\(name) \(how): \(result.body)")
                #expect((result.json?["detail"] as? String)?.contains(reason) == true, "\(name) \(how): \(result.body)")
            }
        }
        #expect(Date().timeIntervalSince(started) < 30, "refused without inflating 300 MiB four times")
        // The same workers still serve, and none of them ever held the inflated bomb.
        #expect(server.waitForWorkers(2) == workers)
        let after = workers.map(peakResidentKiB).max() ?? 0
        #expect(after - before < 100 * 1024, "peak RSS grew by \(after - before) KiB")
        #expect(try rowCount(tenant: tenant) == (0, 0))
    }

    /// VmHWM of a process: the most resident memory it has had.
    func peakResidentKiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
