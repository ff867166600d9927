import RagdCore
import RagdCurl

/// How a failed attempt is classified, the same for every provider client: which status
/// or transport failure is which error, and which of them another attempt may cure.
extension ProviderEndpoint {
    /// The error for a non-2xx status, and whether another attempt may help: 429, 408 and
    /// 5xx are transient (429 and 5xx with the provider's `Retry-After`); 401 and 403 are
    /// `.unauthorized`, any other status `.badRequest`, both final.
    public func statusFailure(_ status: Int, body: [UInt8], retryAfter: String?) -> AttemptFailure {
        let message = "\(name) answered \(status)\(detail(ProviderErrorBody.message(from: body)))"
        switch status {
        case 401, 403:
            return AttemptFailure(ProviderError(.unauthorized, message, status: status), retryable: false)
        case 429:
            return AttemptFailure(ProviderError(.rateLimited, message, status: status), retryable: true,
                                  retryAfter: RetryBackoff.retryAfterSeconds(retryAfter))
        case 408:
            return AttemptFailure(ProviderError(.timeout, message, status: status), retryable: true)
        case 500..<600:
            return AttemptFailure(ProviderError(.unavailable, message, status: status), retryable: true,
                                  retryAfter: RetryBackoff.retryAfterSeconds(retryAfter))
        default:
            return AttemptFailure(ProviderError(.badRequest, message, status: status), retryable: false)
        }
    }

    /// The error for a transport failure. `receivedBytes`: some of the answer had
    /// arrived, so a timeout is not retried (the provider was working, just slowly) and a
    /// broken connection is `.interrupted`. `afterFirstToken`: the caller has seen text,
    /// so nothing is retried.
    public func transportFailure(_ error: HTTPClientError, timeout: Duration, receivedBytes: Bool = false,
                                 afterFirstToken: Bool = false) -> AttemptFailure {
        var failure: AttemptFailure
        switch error.code {
        case .timeout:
            failure = AttemptFailure(ProviderError(.timeout, "\(name) did not answer within \(timeout.inSeconds) s"),
                                     retryable: !receivedBytes)
        case .connect:
            failure = AttemptFailure(ProviderError(.unavailable, transportMessage(error.message)), retryable: true)
        case .responseTooLarge:
            failure = AttemptFailure(ProviderError(.invalidResponse, transportMessage(error.message)), retryable: false)
        case .tls, .invalidRequest:
            failure = AttemptFailure(ProviderError(.unavailable, transportMessage(error.message)), retryable: false)
        case .aborted:
            failure = AttemptFailure(ProviderError(.aborted, "\(name): stopped by the caller"), retryable: false)
        case .other:
            // Connection reset, empty reply, a body cut short: transient, unless the
            // caller has already seen part of the answer.
            failure = AttemptFailure(ProviderError(receivedBytes ? .interrupted : .unavailable, transportMessage(error.message)),
                                     retryable: true)
        }
        failure.error.afterFirstToken = afterFirstToken
        if afterFirstToken { failure.retryable = false }
        return failure
    }
}
