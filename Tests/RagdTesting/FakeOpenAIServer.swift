import Foundation

/// `Tests/tools/fake_openai.py` (the project's test LLM server: chat, embeddings, rerank)
/// on a port it picks itself, for one test or suite.
public final class FakeOpenAIServer: @unchecked Sendable {
    public let tool: ToolProcess

    public var port: Int { tool.port }
    /// The `/v1` base URL an OpenAI client is configured with.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// - `apiKey`: required as `Authorization: Bearer` on the API routes; nil for none.
    public init(dimension: Int = 384, apiKey: String? = nil, extraArguments: [String] = []) throws {
        var arguments = ["--port", "0", "--dimension", String(dimension)]
        if let apiKey { arguments += ["--api-key", apiKey] }
        tool = try ToolProcess("fake_openai.py", arguments + extraArguments)
    }

    /// Merges `json` (an object's text) into the failure script (`POST /_control`).
    public func control(_ json: String) throws {
        let result = try HTTPResult.fetch("http://127.0.0.1:\(port)/_control", method: "POST", body: json)
        guard result.status == 200 else { throw TestFailure("POST /_control answered \(result.status): \(result.body)") }
    }

    /// Merges `fields` into the failure script (`NSNull()` resets a field to its default).
    public func control(_ fields: [String: Any]) throws {
        try control(String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self))
    }

    /// Clears the script and the request log.
    public func reset() throws {
        try control(#"{"reset": true}"#)
    }

    /// Every API request received so far (`GET /_requests`).
    public func requests() throws -> [[String: Any]] {
        let result = try HTTPResult.fetch("http://127.0.0.1:\(port)/_requests")
        guard result.status == 200, let list = result.json?["requests"] as? [[String: Any]] else {
            throw TestFailure("GET /_requests answered \(result.status): \(result.body)")
        }
        return list
    }

    /// The logged requests to paths ending in `suffix` (`/chat/completions`, `/embeddings`).
    public func requests(to suffix: String) throws -> [[String: Any]] {
        try requests().filter { ($0["path"] as? String)?.hasSuffix(suffix) == true }
    }

    /// The statuses answered so far, in order.
    public func statuses() throws -> [Int] { try requests().compactMap { $0["status"] as? Int } }

    /// The `input` arrays of the logged embeddings requests, in order.
    public func loggedInputs() throws -> [[String]] {
        try requests().map { (($0["body"] as? [String: Any])?["input"] as? [String]) ?? [] }
    }

    deinit { tool.stop() }
}
