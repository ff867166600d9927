import RagdRedis

/// One thread's Redis access for the caches and the rate limiter.
///
/// The connection opens lazily on first use, with short timeouts (see `Options`). After a
/// connection failure Redis is skipped for `retryInterval`: `run` returns nil at once,
/// without touching the network, and the first call after the window tries again. So
/// while Redis is down a thread pays at most one connect or command timeout per interval,
/// not one per request. An error *reply* (Redis answered) fails only that call.
///
/// Nothing here throws: callers treat nil as "no cache" and carry on. Not thread-safe,
/// like `RedisConnection`: each serving thread owns one, created after `fork()`.
public final class CacheRedis {
    /// The settings this object was created with.
    public let options: Options
    /// Why Redis can never be used (an unparsable or unsupported URL), or nil. With such a
    /// URL every call is skipped; report it at start-up.
    public let configurationError: RedisError?
    /// The last failure or error reply, for logs (never carries the password).
    public private(set) var lastError: RedisError?
    /// Counters since creation.
    public private(set) var statistics = Statistics()
    /// Called when Redis becomes unusable (`false`, with the error) and usable again
    /// (`true`, nil), once per change, so a worker can log outages without flooding.
    /// Default: nil.
    public var onAvailabilityChange: ((_ available: Bool, _ error: RedisError?) -> Void)?

    private let connection: RedisConnection?
    /// End of the current skip window; nil when Redis is believed usable.
    private var skipUntil: ContinuousClock.Instant?

    /// Parses `url` (`redis://[[user]:password@]host[:port][/db]`) without connecting.
    /// An unusable URL does not throw; see `configurationError`.
    public init(url: String, options: Options = Options()) {
        self.options = options
        let connectionOptions = RedisConnection.Options(connectTimeout: options.connectTimeout,
                                                        commandTimeout: options.commandTimeout)
        do {
            connection = try RedisConnection(url: url, options: connectionOptions)
            configurationError = nil
        } catch {
            connection = nil
            configurationError = error
        }
    }

    /// False while in a skip window after a failure (or with an unusable URL).
    public var isAvailable: Bool {
        guard connection != nil else { return false }
        guard let skipUntil else { return true }
        return ContinuousClock.now >= skipUntil
    }

    /// Runs `body` on the connection, opening it first if needed. Returns nil, without
    /// calling `body`, inside a skip window; returns nil when `body` throws. A connection
    /// failure or timeout starts a skip window (and drops the connection); an error reply
    /// does not, since Redis did answer.
    public func run<T>(_ body: (RedisConnection) throws(RedisError) -> T) -> T? {
        guard let connection else {
            statistics.skipped += 1
            return nil
        }
        if let skipUntil {
            if ContinuousClock.now < skipUntil {
                statistics.skipped += 1
                return nil
            }
        }
        statistics.attempts += 1
        do {
            if !connection.isConnected {
                statistics.connects += 1
                try connection.connect()
            }
            let value = try body(connection)
            markUsable()
            return value
        } catch {
            lastError = error
            if error.code == .reply || error.code == .protocolError {
                statistics.errorReplies += 1
                markUsable()
            } else {
                statistics.failures += 1
                connection.close()
                let wasUsable = skipUntil == nil
                skipUntil = ContinuousClock.now + options.retryInterval
                if wasUsable { onAvailabilityChange?(false, error) }
            }
            return nil
        }
    }

    /// `options.keyPrefix` + `suffix`. `package`: the rate limiter (`RagdRateLimit`) keeps
    /// its buckets under the same prefix.
    package func key(_ suffix: String) -> String {
        options.keyPrefix + suffix
    }

    private func markUsable() {
        guard skipUntil != nil else { return }
        skipUntil = nil
        onAvailabilityChange?(true, nil)
    }
}
