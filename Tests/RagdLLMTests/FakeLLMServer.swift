import Foundation
import Testing
import RagdLLM
import RagdTesting

/// The test LLM server, requiring `apiKey`, as the chat tests use it.
typealias FakeLLMServer = FakeOpenAIServer

extension FakeOpenAIServer {
    /// Distinctive, so a test can assert that no message contains it.
    static let apiKey = "sk-llm-test-secret-4711"

    /// A server of its own for one test, requiring `apiKey`.
    static func start() throws -> FakeOpenAIServer { try FakeOpenAIServer(apiKey: apiKey) }
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
