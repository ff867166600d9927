import RagdProvider

extension ChatClient {
    /// Where and how to reach an OpenAI-compatible chat API.
    public struct Configuration: Sendable, CustomStringConvertible {
        /// The API base URL; `/chat/completions` is appended (a trailing slash is
        /// dropped). Default: "https://api.deepseek.com/v1".
        public var baseURL: String
        /// Sent as `Authorization: Bearer ...`; nil or empty sends none (local servers).
        /// Default: nil. Never printed: `description` leaves it out.
        public var apiKey: String?
        /// The model requested. Default: "deepseek-chat".
        public var model: String
        /// Upper bound for DNS, TCP connect and TLS handshake, per attempt. Default: 5 s.
        public var connectTimeout: Duration
        /// Upper bound for one whole attempt, connect included; for a stream, the time
        /// until its last byte. Default: 60 s.
        public var timeout: Duration
        /// Retries after the first attempt (0...10), for 429, 408, 5xx, connect failures
        /// and timeouts before any answer byte; never once a delta was delivered.
        /// Default: 2.
        public var maxRetries: Int
        /// First backoff delay, doubled per retry, with jitter. Default: 250 ms.
        public var retryBaseDelay: Duration
        /// Largest delay between attempts, also the cap on `Retry-After`. Default: 4 s.
        public var maxRetryDelay: Duration

        /// Creates a configuration with the defaults documented on each property.
        public init(
            baseURL: String = "https://api.deepseek.com/v1",
            apiKey: String? = nil,
            model: String = "deepseek-chat",
            connectTimeout: Duration = .seconds(5),
            timeout: Duration = .seconds(60),
            maxRetries: Int = 2,
            retryBaseDelay: Duration = .milliseconds(250),
            maxRetryDelay: Duration = .seconds(4)
        ) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.model = model
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.maxRetries = maxRetries
            self.retryBaseDelay = retryBaseDelay
            self.maxRetryDelay = maxRetryDelay
        }

        /// The host, model and whether a key is set; never the key or URL user info.
        public var description: String {
            "ChatClient.Configuration(host: \(ProviderEndpoint.host(of: baseURL)), model: \(model), "
                + "apiKey: \((apiKey?.isEmpty ?? true) ? "none" : "set"), timeout: \(timeout.inSeconds) s, "
                + "maxRetries: \(maxRetries))"
        }
    }
}
