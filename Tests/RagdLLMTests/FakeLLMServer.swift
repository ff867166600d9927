import Foundation
import Testing
import RagdLLM
import RagdTesting

/// `Tests/tools/fake_openai.py` on a port of its own, for one test, requiring `apiKey`.
final class FakeLLMServer {
    /// Distinctive, so a test can assert that no message contains it.
    static let apiKey = "sk-llm-test-secret-4711"

    let tool: ToolProcess

    init() throws {
        tool = try ToolProcess("fake_openai.py", ["--port", "0", "--api-key", Self.apiKey])
    }

    var port: Int { tool.port }
    /// The `/v1` base URL a chat client is configured with.
    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// Merges `fields` into the failure script (`POST /_control`).
    func control(_ fields: [String: Any]) throws {
        let answer = try httpJSON("POST", "http://127.0.0.1:\(port)/_control", fields)
        guard answer["error"] == nil, !answer.isEmpty else { throw TestFailure("POST /_control failed: \(answer)") }
    }

    /// Every API request received so far (`GET /_requests`).
    func requests() throws -> [[String: Any]] {
        guard let list = try httpJSON("GET", "http://127.0.0.1:\(port)/_requests")["requests"] as? [[String: Any]] else {
            throw TestFailure("GET /_requests failed")
        }
        return list
    }

    /// The statuses answered so far, in order.
    func statuses() throws -> [Int] { try requests().compactMap { $0["status"] as? Int } }

    deinit { tool.stop() }
}

/// The `LLMError` `body` throws, or nil when it succeeds (recording an issue for any
/// other error).
func llmFailure(_ body: () throws -> Void) -> LLMError? {
    do {
        try body()
        return nil
    } catch let error as LLMError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}
