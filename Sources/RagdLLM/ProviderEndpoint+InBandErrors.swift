import RagdProvider

extension ProviderEndpoint {
    /// The error for an `{"error": ...}` object inside a 200 chat answer or a stream.
    /// Once the caller has seen text, the answer is broken off: `.interrupted`, never
    /// retried. Before that the provider's type or code decides (rate limit, bad request,
    /// key), and anything else counts as a transient provider failure.
    func inBandFailure(_ error: ProviderErrorObject, afterFirstToken: Bool, status: Int) -> AttemptFailure {
        let detail = detail(error.message ?? error.code ?? error.type)
        if afterFirstToken {
            return AttemptFailure(LLMError(.interrupted, "\(name) broke off the answer with an error\(detail)", status: status,
                                           afterFirstToken: true), retryable: false)
        }
        let kind = ((error.type ?? "") + " " + (error.code ?? "")).lowercased()
        let message = "\(name) answered with an error\(detail)"
        if kind.contains("rate") || kind.contains("429") {
            return AttemptFailure(LLMError(.rateLimited, message, status: status), retryable: true)
        }
        if kind.contains("auth") || kind.contains("api_key") || kind.contains("permission") {
            return AttemptFailure(LLMError(.unauthorized, message, status: status), retryable: false)
        }
        if kind.contains("invalid_request") || kind.contains("context_length") || kind.contains("not_found") {
            return AttemptFailure(LLMError(.badRequest, message, status: status), retryable: false)
        }
        return AttemptFailure(LLMError(.unavailable, message, status: status), retryable: true)
    }
}
