import RagdProvider

/// A failure of the chat client: the provider layer's `ProviderError`, since a chat call
/// fails in no way that the layer does not already name. Messages name the provider by
/// host (for example "LLM at api.deepseek.com answered 401"), never the API key or URL
/// user info.
///
/// Suggested HTTP mapping for API handlers: `.timeout` 504; `.unavailable`,
/// `.rateLimited` 503; `.unauthorized`, `.badRequest`, `.invalidResponse`,
/// `.interrupted`, `.invalidConfiguration` 502; `.aborted` needs no answer (the client
/// has gone). When `afterFirstToken` is true the client has already seen part of the
/// answer, so the failure can only be reported in-stream.
public typealias LLMError = ProviderError
