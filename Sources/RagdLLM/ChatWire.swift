#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import RagdCore

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
        var error: ProviderError?
    }

    /// The `error` member: an object with message/type/code (code is a string at OpenAI,
    /// a number at some others) or a bare string.
    struct ProviderError: Decodable {
        var message: String?
        var type: String?
        var code: String?

        enum CodingKeys: String, CodingKey { case message, type, code }

        init(message: String?, type: String? = nil, code: String? = nil) {
            self.message = message
            self.type = type
            self.code = code
        }

        init(from decoder: Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                message = text
                return
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            message = try? container.decodeIfPresent(String.self, forKey: .message)
            type = try? container.decodeIfPresent(String.self, forKey: .type)
            if let text = try? container.decodeIfPresent(String.self, forKey: .code) {
                code = text
            } else if let number = try? container.decodeIfPresent(Int.self, forKey: .code) {
                code = String(number)
            }
        }
    }

    /// Error bodies of non-2xx answers: OpenAI's `{"error": {...}}`, or `message`/`detail`
    /// at other servers (FastAPI's `detail` may be a list: then it is skipped).
    private struct ErrorBody: Decodable {
        var error: ProviderError?
        var message: String?
        var detail: String?

        enum CodingKeys: String, CodingKey { case error, message, detail }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            error = try? container.decodeIfPresent(ProviderError.self, forKey: .error)
            message = try? container.decodeIfPresent(String.self, forKey: .message)
            detail = try? container.decodeIfPresent(String.self, forKey: .detail)
        }
    }

    static func decode(_ bytes: some Collection<UInt8>) -> Body? {
        try? JSONDecoder().decode(Body.self, from: Data(bytes))
    }

    /// The provider's message from an error body, or nil.
    static func errorMessage(from bytes: [UInt8]) -> String? {
        guard !bytes.isEmpty, let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(bytes)) else { return nil }
        return body.error?.message ?? body.message ?? body.detail
    }
}
