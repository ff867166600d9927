extension HTTPClient {
    /// Client-wide settings; a request may override the timeouts.
    public struct Options: Sendable {
        /// Upper bound for DNS, TCP connect and TLS handshake. Default: 2 seconds.
        public var connectTimeout: Duration = .seconds(2)
        /// Upper bound for the whole transfer, connect included. Default: 30 seconds.
        public var timeout: Duration = .seconds(30)
        /// Largest body `send` will buffer; beyond it the transfer stops with
        /// `.responseTooLarge`. Streaming is not limited. Default: 64 MiB.
        public var maxResponseBytes: Int = 64 << 20
        /// `User-Agent` sent unless the request sets one. Default: "ragd".
        public var userAgent: String = "ragd"
        /// A PEM file of the certificate authorities to trust instead of the system's
        /// (`CURLOPT_CAINFO`), e.g. a private CA or a server's self-signed certificate.
        /// Certificates are still verified. Default: nil (the system's store).
        public var caFile: String? = nil

        /// Creates options with the defaults documented on each property.
        public init(
            connectTimeout: Duration = .seconds(2),
            timeout: Duration = .seconds(30),
            maxResponseBytes: Int = 64 << 20,
            userAgent: String = "ragd",
            caFile: String? = nil
        ) {
            self.connectTimeout = connectTimeout
            self.timeout = timeout
            self.maxResponseBytes = maxResponseBytes
            self.userAgent = userAgent
            self.caFile = caFile
        }
    }
}
