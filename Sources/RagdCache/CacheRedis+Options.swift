extension CacheRedis {
    /// Settings of a thread's cache connection. The timeouts are short on purpose: a cache
    /// that answers slowly is worse than no cache, and a request must never wait long for it.
    public struct Options: Sendable {
        /// Upper bound for opening the TCP connection. Host name resolution is not covered;
        /// use an IP address where that matters. Default: 0.2 seconds.
        public var connectTimeout: Duration
        /// Upper bound for one command's round trip. Default: 0.2 seconds.
        public var commandTimeout: Duration
        /// After a failure, Redis is skipped (calls return nil at once) for this long before
        /// the next attempt. Default: 1 second.
        public var retryInterval: Duration
        /// Put in front of every key, so one Redis can serve several deployments (and tests
        /// can keep apart). Default: `ragd:`.
        public var keyPrefix: String

        /// Creates options with the defaults documented on each property.
        public init(connectTimeout: Duration = .milliseconds(200), commandTimeout: Duration = .milliseconds(200),
                    retryInterval: Duration = .seconds(1), keyPrefix: String = "ragd:") {
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
            self.retryInterval = retryInterval
            self.keyPrefix = keyPrefix
        }
    }
}
