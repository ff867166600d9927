/// Token counts as the provider reported them.
public struct ChatUsage: Sendable, Equatable {
    /// Tokens of the prompt (all messages).
    public var promptTokens: Int
    /// Tokens generated.
    public var completionTokens: Int

    /// Creates a usage record.
    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    /// Prompt plus completion tokens.
    public var totalTokens: Int { promptTokens + completionTokens }
}

/// A finished answer.
public struct ChatCompletion: Sendable {
    /// The whole answer text (for a stream, every delta concatenated).
    public var text: String
    /// Token counts, or nil when the provider sent none.
    public var usage: ChatUsage?
    /// Why generation stopped: "stop", "length" (hit `maxTokens`), "content_filter"...;
    /// nil when the provider did not say (a stream that ended with only `[DONE]`).
    public var finishReason: String?

    /// Creates a completion.
    public init(text: String, usage: ChatUsage? = nil, finishReason: String? = nil) {
        self.text = text
        self.usage = usage
        self.finishReason = finishReason
    }
}
