import Foundation
import RagdAnswer
import RagdHTTP
import Testing

@testable import RagdApp

/// How `/v1/chat/completions` reads OpenAI's request: roles, the question, instructions,
/// and the options it honours or refuses by name.
@Suite struct ChatCompletionParsingTests {
    static func body(_ json: String) throws -> JSONBody { try JSONBody(bytes: Array(json.utf8)) }

    static func field(of problem: Problem) -> String? {
        problem.errors.first?.field
    }

    /// The 422's field for `json`, or nil when it parses.
    static func refusal(_ json: String) throws -> String? {
        do {
            let body = try body(json)
            _ = try ChatCompletionRoutes.parseOptions(body, maxTokensLimit: 1024)
            _ = try ChatCompletionRoutes.parseMessages(body)
            return nil
        } catch let problem as Problem {
            #expect(problem.status == 422 || problem.status == 404, "\(json): \(problem.status)")
            return field(of: problem)
        }
    }

    @Test func theLastUserMessageIsTheQuestionAndEarlierTurnsTheHistory() throws {
        let conversation = try ChatCompletionRoutes.parseMessages(try Self.body("""
            {"messages": [{"role": "system", "content": "Answer in French."},
                          {"role": "user", "content": "What is a pump?"},
                          {"role": "assistant", "content": "A machine [1]."},
                          {"role": "developer", "content": "Be brief."},
                          {"role": "user", "content": [{"type": "text", "text": "How often"}, {"type": "text", "text": "is it oiled?"}]}]}
            """))
        #expect(conversation.question == "How often\nis it oiled?")
        #expect(conversation.history.map(\.role) == ["user", "assistant"])
        #expect(conversation.history.map(\.content) == ["What is a pump?", "A machine [1]."])
        #expect(conversation.instructions == "Answer in French.\n\nBe brief.")
    }

    @Test func callerInstructionsFollowRagdsOwnInTheOneSystemMessage() {
        let messages = PromptBuilder().messages(question: "q", passages: [], history: [], instructions: "Answer in French.")
        #expect(messages.first?.role == "system")
        let system = messages.first?.content ?? ""
        #expect(system.hasPrefix(PromptBuilder.instructions))
        #expect(system.hasSuffix("Answer in French."))
        #expect(messages.filter { $0.role == "system" }.count == 1)
    }

    @Test func optionsAreReadWithTheirDefaults() throws {
        let options = try ChatCompletionRoutes.parseOptions(try Self.body("""
            {"model": "ragd", "messages": [], "stream": true, "stream_options": {"include_usage": true}, "temperature": 0.5,
             "top_p": 0.9, "max_tokens": 100, "stop": "END", "seed": 7, "n": 1, "user": "u-1", "presence_penalty": 0.3,
             "ragd": {"top_k": 3}}
            """), maxTokensLimit: 1024)
        #expect(options.stream && options.includeUsage)
        #expect(options.temperature == 0.5 && options.topP == 0.9 && options.maxTokens == 100)
        #expect(options.stop == ["END"] && options.seed == 7 && options.topK == 3)
        let defaults = try ChatCompletionRoutes.parseOptions(try Self.body(#"{"messages": []}"#), maxTokensLimit: 1024)
        #expect(!defaults.stream && defaults.maxTokens == 1024 && defaults.topK == 5 && defaults.stop.isEmpty)
        #expect(defaults.temperature == nil && defaults.topP == nil && defaults.seed == nil)
    }

    @Test func whatRagdCannotHonourIsRefusedByName() throws {
        let user = #""messages": [{"role": "user", "content": "q"}]"#
        #expect(try Self.refusal("{\(user), \"n\": 2}") == "n")
        #expect(try Self.refusal("{\(user), \"tools\": [{\"type\": \"function\"}]}") == "tools")
        #expect(try Self.refusal("{\(user), \"logprobs\": true}") == "logprobs")
        #expect(try Self.refusal("{\(user), \"response_format\": {\"type\": \"json_object\"}}") == "response_format")
        #expect(try Self.refusal("{\(user), \"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"]}") == "stop")
        #expect(try Self.refusal("{\(user), \"max_tokens\": 5000}") == "max_tokens")
        #expect(try Self.refusal("{\(user), \"temperature\": 3}") == "temperature")
        #expect(try Self.refusal("{\(user), \"ragd\": {\"top_k\": 99}}") == "ragd.top_k")
        #expect(try Self.refusal("{\(user), \"ragd\": {\"topk\": 3}}") == "ragd.topk")
        #expect(try Self.refusal("{\(user), \"model\": \"gpt-4o\"}") == "model")
        #expect(try Self.refusal(#"{"messages": []}"#) == "messages")
        #expect(try Self.refusal(#"{"messages": [{"role": "assistant", "content": "a"}]}"#) == "messages")
        #expect(try Self.refusal(#"{"messages": [{"role": "tool", "content": "a"}]}"#) == "messages[0].role")
        #expect(try Self.refusal(#"{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}"#) == "messages[0].content[0]")
        #expect(try Self.refusal(#"{"messages": [{"role": "user", "content": "a\u0000b"}]}"#) == "messages[0].content")
        #expect(try Self.refusal(#"{"messages": [{"role": "user", "content": "   "}]}"#) == "messages[0].content")
        // Unknown fields are ignored, as OpenAI does.
        #expect(try Self.refusal("{\(user), \"frequency_penalty\": 1, \"metadata\": {\"a\": 1}}") == nil)
    }

    @Test func anUnknownModelIsANotFound() throws {
        do {
            _ = try ChatCompletionRoutes.parseOptions(try Self.body(#"{"model": "gpt-4o"}"#), maxTokensLimit: 10)
            Issue.record("accepted an unknown model")
        } catch let problem as Problem {
            #expect(problem.status == 404 && problem.type.hasSuffix(":model-not-found"))
        }
    }
}
