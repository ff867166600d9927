extension PostgresConnection {
    /// Connection settings that are not part of the URL.
    public struct Options: Sendable {
        /// Upper bound for establishing a connection (TCP, TLS, authentication).
        /// Enforced by this client with `poll()`, so sub-second values work even though
        /// libpq's own `connect_timeout` is whole seconds with a minimum of 2.
        /// Default: 5 seconds.
        public var connectTimeout: Duration = .seconds(5)
        /// Server-side `statement_timeout` sent as a startup option
        /// (`options=-c statement_timeout=<ms>`). `nil` keeps the server's setting.
        /// Note: connection poolers such as PgBouncer reject startup options.
        /// Default: nil.
        public var statementTimeout: Duration?
        /// Client-side bound for waiting on a query's result. When it passes, the
        /// connection is dropped (a cancel would need a blocking round trip) and the next
        /// call reconnects. `nil` waits as long as the server works, bounded only by
        /// `statementTimeout`. Default: nil.
        public var queryTimeout: Duration?
        /// `application_name` reported to the server (visible in `pg_stat_activity`),
        /// unless the URL sets one. Default: "ragd".
        public var applicationName: String = "ragd"

        /// Creates options with the defaults documented on each property.
        public init(
            connectTimeout: Duration = .seconds(5),
            statementTimeout: Duration? = nil,
            queryTimeout: Duration? = nil,
            applicationName: String = "ragd"
        ) {
            self.connectTimeout = connectTimeout
            self.statementTimeout = statementTimeout
            self.queryTimeout = queryTimeout
            self.applicationName = applicationName
        }
    }
}
