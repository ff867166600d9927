extension RedisConnection {
    /// Connection settings that are not part of the URL.
    public struct Options: Sendable {
        /// Upper bound for the TCP connect (`redisConnectWithTimeout`). Host name
        /// resolution is not covered; use an IP address where that matters.
        /// Default: 2 seconds.
        public var connectTimeout: Duration = .seconds(2)
        /// Upper bound for sending a command and reading its reply (`redisSetTimeout`,
        /// i.e. `SO_SNDTIMEO`/`SO_RCVTIMEO`). Default: 2 seconds.
        public var commandTimeout: Duration = .seconds(2)

        /// Creates options with the defaults documented on each property.
        public init(connectTimeout: Duration = .seconds(2), commandTimeout: Duration = .seconds(2)) {
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
        }
    }
}
