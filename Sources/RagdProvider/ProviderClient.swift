import RagdCore
import RagdCurl

/// The part every provider client (chat, embeddings, rerank) shares: one endpoint, one
/// HTTP client (one libcurl handle, kept-alive connection) and the retry loop around
/// attempts, with failures classified the same way for all.
///
/// Not thread-safe, like `HTTPClient`: a worker keeps one per thread, created after
/// `fork()`.
public final class ProviderClient {
    /// Where requests go and how the provider is named in messages.
    public let endpoint: ProviderEndpoint
    /// The HTTP client, for calls `send` does not cover (a streamed answer).
    public let http: HTTPClient
    /// Upper bound for one attempt, connect included (named in timeout messages).
    private let timeout: Duration
    private let maxRetries: Int
    private let backoff: RetryBackoff
    private let retriesTimeouts: Bool

    /// Creates the client with its own libcurl handle.
    ///
    /// - Parameters:
    ///   - connectTimeout: TCP/TLS connect bound, within `timeout`.
    ///   - maxRetries: retries after the first attempt, for transient failures only.
    ///   - backoff: delays between attempts (the provider's `Retry-After` up to its cap).
    ///   - retriesTimeouts: whether a timeout (libcurl's or a 408) is retried. Default:
    ///     true. A client on the request path may say no: a second full timeout would
    ///     double the wait.
    /// - Throws: `.unavailable` when libcurl cannot be initialised.
    public init(endpoint: ProviderEndpoint, timeout: Duration, connectTimeout: Duration, maxResponseBytes: Int,
                maxRetries: Int, backoff: RetryBackoff, retriesTimeouts: Bool = true) throws(ProviderError) {
        self.endpoint = endpoint
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.backoff = backoff
        self.retriesTimeouts = retriesTimeouts
        do {
            http = try HTTPClient(options: HTTPClient.Options(connectTimeout: min(connectTimeout, timeout), timeout: timeout,
                                                              maxResponseBytes: maxResponseBytes, userAgent: "ragd"))
        } catch {
            throw ProviderError(.unavailable, "cannot create the HTTP client: \(error.message)")
        }
    }

    /// A `POST` of a JSON `body` to the endpoint.
    public func post(_ body: [UInt8], accept: String = "application/json") -> HTTPClientRequest {
        HTTPClientRequest(method: "POST", url: endpoint.url, headers: endpoint.headers(accept: accept), body: body)
    }

    /// One attempt of a whole (not streamed) request: the 2xx response, or the failure
    /// classified (see `ProviderEndpoint.statusFailure` and `transportFailure`).
    public func send(_ request: HTTPClientRequest) -> Result<HTTPClientResponse, AttemptFailure> {
        let response: HTTPClientResponse
        do {
            response = try http.send(request)
        } catch {
            return .failure(endpoint.transportFailure(error, timeout: timeout))
        }
        guard (200..<300).contains(response.status) else {
            return .failure(endpoint.statusFailure(response.status, body: response.body, retryAfter: response.header("Retry-After")))
        }
        return .success(response)
    }

    /// One attempt of a whole request whose answer `decode` reads. An answer it cannot
    /// read is final (the next one would be as broken) and carries the status.
    public func send<T>(_ request: HTTPClientRequest,
                        decode: (HTTPClientResponse) throws(ProviderError) -> T) -> Result<T, AttemptFailure> {
        send(request).flatMap { response in
            do throws(ProviderError) {
                return .success(try decode(response))
            } catch {
                var failure = error
                failure.status = response.status
                return .failure(AttemptFailure(failure, retryable: false))
            }
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are spent. A
    /// failure after the first token is final whatever its kind: the caller has already
    /// passed that text on.
    ///
    /// - Parameter shouldContinue: asked every 100 ms during a backoff wait; false ends
    ///   the call with `.aborted`. Default: nil (the wait is not interrupted).
    /// - Throws: the last attempt's error, `attempts` set.
    public func withRetries<T>(shouldContinue: (() -> Bool)? = nil,
                               _ attempt: () -> Result<T, AttemptFailure>) throws(ProviderError) -> T {
        var attempts = 0
        while true {
            attempts += 1
            switch attempt() {
            case .success(let value):
                return value
            case .failure(let failure):
                var error = failure.error
                error.attempts = attempts
                guard failure.retryable, !error.afterFirstToken, retriesTimeouts || error.code != .timeout,
                      attempts <= maxRetries else { throw error }
                let seconds = backoff.seconds(beforeRetry: attempts, retryAfter: failure.retryAfter)
                guard RetryBackoff.wait(seconds: seconds, shouldContinue: shouldContinue) else {
                    throw ProviderError(.aborted, "\(endpoint.name): stopped by the caller while waiting to retry (\(error.code))",
                                        status: error.status, attempts: attempts)
                }
            }
        }
    }
}
