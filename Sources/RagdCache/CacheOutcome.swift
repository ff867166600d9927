/// How a cache lookup went, for metrics labels and response headers.
public enum CacheOutcome: String, Sendable, Hashable, CaseIterable {
    /// The value came from Redis.
    case hit
    /// Redis answered, without the value.
    case miss
    /// Redis was not asked or did not answer (down, in the skip window, or an error):
    /// the caller went on without the cache.
    case bypassed
}
