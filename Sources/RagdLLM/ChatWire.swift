#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import RagdCore
import RagdProvider

/// The OpenAI chat-completions wire format: the request body, the answer, the stream
/// chunks and error bodies. Decoding is tolerant of extra and missing fields, since
/// OpenAI-compatible servers (DeepSeek, vLLM, Ollama, llama.cpp) differ in the details.
enum ChatWire {
    // MARK: Request

    /// `{"model":...,"messages":[...],"stream":...}` plus the optional fields, built
    /// directly: the messages carry the retrieved passages and need no encoder round trip.
    static func requestBody(model: String, request: ChatRequest, stream: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(request.messages.reduce(128) { $0 + $1.content.utf8.count + $1.role.utf8.count + 32 })
        out.append(contentsOf: #"{"model":"#.utf8)
        JSONText.appendQuoted(model.utf8, to: &out)
        out.append(contentsOf: #","messages":["#.utf8)
        for (index, message) in request.messages.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"role":"#.utf8)
            JSONText.appendQuoted(message.role.utf8, to: &out)
            out.append(contentsOf: #","content":"#.utf8)
            JSONText.appendQuoted(message.content.utf8, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "],\"stream\":\(stream)".utf8)
        if stream {
            // Without it OpenAI and DeepSeek send no usage in a stream.
            out.append(contentsOf: #","stream_options":{"include_usage":true}"#.utf8)
        }
        if let temperature = request.temperature {
            out.append(contentsOf: ",\"temperature\":\(temperature)".utf8)
        }
        if let maxTokens = request.maxTokens {
            out.append(contentsOf: ",\"max_tokens\":\(maxTokens)".utf8)
        }
        if let topP = request.topP {
            out.append(contentsOf: ",\"top_p\":\(topP)".utf8)
        }
        if !request.stop.isEmpty {
            out.append(contentsOf: #","stop":["#.utf8)
            for (index, sequence) in request.stop.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendQuoted(sequence.utf8, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        if let seed = request.seed {
            out.append(contentsOf: ",\"seed\":\(seed)".utf8)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    // MARK: Answer and stream chunks

    struct Usage: Decodable {
        var prompt_tokens: Int?
        var completion_tokens: Int?

        var value: ChatUsage? {
            guard prompt_tokens != nil || completion_tokens != nil else { return nil }
            return ChatUsage(promptTokens: prompt_tokens ?? 0, completionTokens: completion_tokens ?? 0)
        }
    }

    struct Text: Decodable {
        /// Null for tool calls or a refusal; an empty answer then.
        var content: String?
    }

    struct Choice: Decodable {
        var index: Int?
        var message: Text?
        var delta: Text?
        var finish_reason: String?
    }

    /// A whole answer or one stream chunk (same shape; `message` vs `delta`), or an error.
    struct Body: Decodable {
        var choices: [Choice]?
        var usage: Usage?
        var error: ProviderErrorObject?
    }

    static func decode(_ bytes: some Collection<UInt8>) -> Body? {
        try? JSONDecoder().decode(Body.self, from: Data(bytes))
    }
}
