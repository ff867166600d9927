import RagdProvider

extension EmbeddingError {
    /// The embedder's error for a failure of the shared provider layer. A refused key and
    /// a refused request are both `.rejected` (neither is retried, and the remedy is the
    /// operator's either way); `.interrupted` and `.aborted` cannot happen to a request
    /// that is neither streamed nor stoppable, and count as `.unavailable`.
    init(_ error: ProviderError) {
        let code: Code
        switch error.code {
        case .unauthorized, .badRequest: code = .rejected
        case .rateLimited: code = .rateLimited
        case .unavailable, .interrupted, .aborted: code = .unavailable
        case .timeout: code = .timeout
        case .invalidResponse: code = .invalidResponse
        case .invalidConfiguration: code = .invalidConfiguration
        }
        self.init(code, error.message, status: error.status, attempts: error.attempts)
    }
}
