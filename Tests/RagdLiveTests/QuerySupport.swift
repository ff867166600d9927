import Foundation
import RagdCore
import RagdMilvus
import RagdTesting

/// What the `/v1/query` live suites share: a ragd + nginx wired to the project's test LLM
/// server (`fake_openai.py`) for chat, embeddings and rerank.
final class QueryStack {
    static let llmKey = "live-llm-key-0123456789"
    let fake: FakeOpenAIServer
    let server: LiveServer
    let collection = "ragd_query_" + Identifier.uuid().replacingOccurrences(of: "-", with: "").prefix(10)

    /// `llm`: chat through the fake (else extractive); `remoteEmbeddings`/`rerank` likewise.
    init(llm: Bool = true, remoteEmbeddings: Bool = false, rerank: Bool = false, _ overrides: [String: String?] = [:]) throws {
        fake = try FakeOpenAIServer(dimension: 384, apiKey: Self.llmKey)
        var settings: [String: String?] = ["MILVUS_COLLECTION": collection]
        if llm {
            settings["LLM_API_KEY"] = Self.llmKey
            settings["LLM_BASE_URL"] = fake.baseURL
            settings["LLM_MODEL"] = "fake-chat"
        }
        if remoteEmbeddings {
            settings["EMBEDDING_PROVIDER"] = "openai"
            settings["EMBEDDING_BASE_URL"] = fake.baseURL
            settings["EMBEDDING_API_KEY"] = Self.llmKey
            settings["EMBEDDING_MODEL"] = "fake-embed"
        }
        if rerank {
            settings["RERANK_URL"] = fake.baseURL + "/rerank"
            settings["RERANK_API_KEY"] = Self.llmKey
        }
        for (key, value) in overrides { settings[key] = value }
        server = try LiveServer(settings)
        try server.start()
    }

    func stop() {
        server.stop()
        let env = ProcessInfo.processInfo.environment
        if let milvus = try? MilvusClient(configuration: .init(host: env["MILVUS_HOST"] ?? "127.0.0.1",
                                                               port: Int(env["MILVUS_PORT"] ?? "") ?? 19530)) {
            _ = try? milvus.drop(collection: collection)
        }
    }

    static func tenant() -> String { "q" + Identifier.uuid().prefix(8) }

    static func json(_ object: [String: Any]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
    }

    /// Ingests a document; returns its id.
    @discardableResult
    func ingest(_ token: String, title: String, text: String) throws -> String {
        let result = try server.requestJSON("POST", "/v1/documents", token: token, ["title": title, "text": text], timeout: 60)
        guard result.status == 201 || result.status == 200, let id = result.json?["id"] as? String else {
            throw TestFailure("ingest answered \(result.status): \(result.body)")
        }
        return id
    }

    func query(_ token: String?, _ body: [String: Any], headers: [String: String] = [:], timeout: Double = 30) throws -> HTTPResult {
        try server.requestJSON("POST", "/v1/query", token: token, body, headers: headers, timeout: timeout)
    }

    func stream(_ token: String, _ body: [String: Any]) throws -> EventStreamClient {
        var body = body
        body["stream"] = true
        return try EventStreamClient(url: server.baseURL + "/v1/query",
                                     headers: ["Authorization": "Bearer " + token, "Content-Type": "application/json"],
                                     body: Self.json(body))
    }

    /// The chat requests the fake LLM received, oldest first.
    func chatRequests() throws -> [[String: Any]] { try fake.requests(to: "/chat/completions") }

    /// All text ragd sent to the LLM in one chat request.
    static func promptText(_ request: [String: Any]) -> String {
        let messages = ((request["body"] as? [String: Any])?["messages"] as? [[String: Any]]) ?? []
        return messages.compactMap { $0["content"] as? String }.joined(separator: "\n")
    }

    /// One sample of a metric from `/metrics`, e.g. `rag_cache_requests_total{cache="answer",result="hit"}`.
    func metric(_ series: String) throws -> Double? {
        let text = try server.get("/metrics").body
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }

    static let cats = """
        Cats are small domesticated carnivorous mammals. They sleep for most of the day and purr when content.

        A cat's whiskers sense tiny movements of air, which helps it hunt at night.
        """
    static let rust = """
        Rust is a systems programming language focused on memory safety without a garbage collector.

        The borrow checker enforces ownership rules at compile time, preventing data races.
        """
}
