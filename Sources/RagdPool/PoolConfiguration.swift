import RagdHTTP
import RagdMetrics

/// What the pool needs to know; the executable fills it from the validated settings.
public struct PoolConfiguration: Sendable {
    /// Worker processes (default 2).
    public var workers: Int = 2
    /// Serving threads per worker (default 4).
    public var threads: Int = 4
    /// Seconds a stopping worker may take to finish in-flight requests (default 30).
    public var gracefulTimeout: Double = 30
    /// Seconds without a heartbeat after which a worker is killed (default 30).
    public var workerTimeout: Double = 30
    /// Seconds one request may run before its worker is killed; 0 disables (default 300).
    public var requestTimeout: Double = 300
    /// Requests after which a worker is replaced; 0 means never (default 0).
    public var maxRequests: Int = 0
    /// A random 0...jitter added to `maxRequests` per worker, so workers do not all
    /// restart at once (default 0).
    public var maxRequestsJitter: Int = 0
    /// Larger request bodies are refused with 413 (default 50 MiB, nginx's usual limit).
    public var maxBodyBytes: Int = 50 * 1024 * 1024
    /// Record per-request metrics (default true); off only to measure their cost.
    public var metricsEnabled: Bool = true

    public init() {}
}

/// One loaded configuration: the pool's knobs plus how a worker builds its application.
/// The master calls the loader at start and on every HUP; `makeResponder` runs in each
/// worker after fork, so connections to backends are opened there and never inherited.
public struct PoolGeneration: Sendable {
    public var configuration: PoolConfiguration
    /// Builds the worker's request handling; throwing means the worker cannot boot. The
    /// `PoolView` lets it serve `/metrics` and `/status` for the whole pool.
    public var makeResponder: @Sendable (PoolView) throws -> Responder

    public init(configuration: PoolConfiguration, makeResponder: @escaping @Sendable (PoolView) throws -> Responder) {
        self.configuration = configuration
        self.makeResponder = makeResponder
    }
}
