extension CacheRedis {
    /// Counters of one `CacheRedis` since it was created, for metrics and tests.
    public struct Statistics: Sendable, Hashable {
        /// Calls of `run` that went to Redis (not skipped).
        public var attempts = 0
        /// Connection openings started by `run` (each bounded by the connect timeout).
        public var connects = 0
        /// Calls that failed on the connection (refused, timed out, broken, AUTH refused)
        /// and started a skip window.
        public var failures = 0
        /// Calls that Redis answered with an error reply (script error, OOM, wrong type):
        /// nil for the caller, but Redis is reachable, so no skip window.
        public var errorReplies = 0
        /// Calls answered nil at once inside a skip window, or because the URL is unusable.
        public var skipped = 0

        /// All zero.
        public init() {}
    }
}
