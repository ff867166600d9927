import RagdCore
import RagdCurl

/// What the chat and rerank clients share about one provider endpoint: its URL, how to
/// name it in messages (host only), the key scrubbing, status classification and the
/// backoff between attempts.
struct ProviderEndpoint {
    /// The full URL requests go to.
    let url: String
    /// "LLM at host[:port]" or "reranker at host[:port]": user info, path and query are
    /// left out, since they may carry credentials.
    let name: String
    let apiKey: String?

    /// - Throws: `.invalidConfiguration` unless `url` is an `http://` or `https://` URL
    ///   with a host.
    init(url: String, kind: String, apiKey: String?) throws(LLMError) {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw LLMError(.invalidConfiguration, "\(kind) URL must start with http:// or https://")
        }
        let host = Self.host(of: url)
        guard !host.isEmpty else { throw LLMError(.invalidConfiguration, "\(kind) URL has no host") }
        self.url = url
        self.name = "\(kind) at \(host)"
        self.apiKey = (apiKey?.isEmpty ?? true) ? nil : apiKey
    }

    /// Request headers: JSON, and the bearer key when there is one.
    func headers(accept: String) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("Accept", accept)]
        if let apiKey { headers.append(("Authorization", "Bearer " + apiKey)) }
        return headers
    }

    /// `host[:port]` of an absolute URL, without user info.
    static func host(of url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return "" }
        let rest = url[schemeEnd.upperBound...]
        let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = rest[..<end]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        return String(authority)
    }

    // MARK: Messages

    /// ": <provider message>", scrubbed of the API key, printable and short; "" for none.
    func detail(_ providerMessage: String?) -> String {
        guard var text = providerMessage else { return "" }
        if let apiKey { text = text.replacing(apiKey, with: "***") }
        let printable = String(text.unicodeScalars.prefix(200).map { $0.value >= 32 && $0.value != 127 ? Character($0) : " " })
        return printable.isEmpty ? "" : ": " + printable
    }

    /// The libcurl failure reworded with our endpoint name; libcurl's own message is
    /// already free of user info and query (`HTTPClientError` redacts them) but we scrub
    /// the key once more, as for provider messages.
    func transportMessage(_ error: HTTPClientError) -> String {
        var text = error.message
        if let apiKey { text = text.replacing(apiKey, with: "***") }
        return "\(name): \(text)"
    }

    // MARK: Status classification

    /// The error for a non-2xx status, and whether another attempt may help.
    func statusFailure(_ status: Int, body: [UInt8], retryAfter: String?) -> AttemptFailure {
        let detail = detail(ChatWire.errorMessage(from: body))
        let message = "\(name) answered \(status)\(detail)"
        switch status {
        case 401, 403:
            return AttemptFailure(LLMError(.unauthorized, message, status: status), retryable: false)
        case 429:
            return AttemptFailure(LLMError(.rateLimited, message, status: status), retryable: true,
                                  retryAfter: RetryBackoff.retryAfterSeconds(retryAfter))
        case 408:
            return AttemptFailure(LLMError(.timeout, message, status: status), retryable: true)
        case 500..<600:
            return AttemptFailure(LLMError(.unavailable, message, status: status), retryable: true,
                                  retryAfter: RetryBackoff.retryAfterSeconds(retryAfter))
        default:
            return AttemptFailure(LLMError(.badRequest, message, status: status), retryable: false)
        }
    }

    /// The error for a transport failure. `receivedBytes`: some of the answer had
    /// arrived, so a timeout is not retried (the provider was working, just slowly) and a
    /// broken connection is `.interrupted`. `afterFirstToken`: the caller has seen text,
    /// so nothing is retried.
    func transportFailure(_ error: HTTPClientError, timeout: Duration, receivedBytes: Bool,
                          afterFirstToken: Bool) -> AttemptFailure {
        var failure: AttemptFailure
        switch error.code {
        case .timeout:
            failure = AttemptFailure(LLMError(.timeout, "\(name) did not answer within \(timeout.inSeconds) s"),
                                     retryable: !receivedBytes)
        case .connect:
            failure = AttemptFailure(LLMError(.unavailable, transportMessage(error)), retryable: true)
        case .responseTooLarge:
            failure = AttemptFailure(LLMError(.invalidResponse, transportMessage(error)), retryable: false)
        case .tls, .invalidRequest:
            failure = AttemptFailure(LLMError(.unavailable, transportMessage(error)), retryable: false)
        case .aborted:
            failure = AttemptFailure(LLMError(.aborted, "\(name): stopped by the caller"), retryable: false)
        case .other:
            // Connection reset, empty reply, a body cut short: transient, unless the
            // caller has already seen part of the answer.
            failure = AttemptFailure(LLMError(receivedBytes ? .interrupted : .unavailable, transportMessage(error)),
                                     retryable: true)
        }
        failure.error.afterFirstToken = afterFirstToken
        if afterFirstToken { failure.retryable = false }
        return failure
    }
}

extension ProviderEndpoint {
    /// The error for an `{"error": ...}` object inside a 200 answer or a stream. Once the
    /// caller has seen text, the answer is broken off: `.interrupted`, never retried.
    /// Before that the provider's type or code decides (rate limit, bad request, key),
    /// and anything else counts as a transient provider failure.
    func inBandFailure(_ error: ChatWire.ProviderError, afterFirstToken: Bool, status: Int) -> AttemptFailure {
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
