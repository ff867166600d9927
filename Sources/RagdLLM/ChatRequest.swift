/// What to ask the model. The model name comes from `ChatClient.Configuration`.
public struct ChatRequest: Sendable {
    /// The conversation, oldest first; must not be empty.
    public var messages: [ChatMessage]
    /// Sampling temperature (finite, 0...2 for OpenAI and DeepSeek). Default: nil (the
    /// provider's default; not sent).
    public var temperature: Double?
    /// Upper bound on generated tokens (at least 1). Default: nil (the provider's default;
    /// not sent).
    public var maxTokens: Int?
    /// Nucleus sampling (0...1). Default: nil (not sent).
    public var topP: Double?
    /// Up to 4 sequences that end the answer. Default: none (not sent).
    public var stop: [String]
    /// Asks the provider for repeatable sampling. Default: nil (not sent).
    public var seed: Int?

    /// Creates a request with the defaults documented on each property.
    public init(messages: [ChatMessage], temperature: Double? = nil, maxTokens: Int? = nil,
                topP: Double? = nil, stop: [String] = [], seed: Int? = nil) {
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.topP = topP
        self.stop = stop
        self.seed = seed
    }
}
