import Foundation
import RagdRedis
import RagdCache

/// The shared test Redis (scripts export REDIS_URL from the local stack) and keys that
/// keep each test apart on it, for the cache and rate limit tests.
public enum TestRedis {
    public static var url: String {
        ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:56379/0"
    }

    /// A key prefix no other test (or run) uses.
    public static func uniquePrefix(_ name: String) -> String {
        "ragd-test:cache:\(name):\(UUID().uuidString.lowercased()):"
    }

    /// A `CacheRedis` on the shared Redis with a unique prefix and test-friendly timeouts.
    public static func cache(_ name: String, prefix: String? = nil) -> CacheRedis {
        CacheRedis(url: url, options: .init(connectTimeout: .seconds(1), commandTimeout: .seconds(2),
                                            keyPrefix: prefix ?? uniquePrefix(name)))
    }

    /// A plain connection, to look at what the caches wrote.
    public static func inspector() throws -> RedisConnection {
        try RedisConnection(url: url)
    }

    /// Deletes every key under `prefix` (SCAN, then DEL).
    public static func cleanUp(prefix: String) {
        guard let redis = try? inspector() else { return }
        var cursor = "0"
        repeat {
            guard case .array(let parts)? = try? redis.command(["SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"]),
                  parts.count == 2, let next = parts[0].text, case .array(let keys) = parts[1] else { return }
            let names = keys.compactMap(\.text)
            if !names.isEmpty { _ = try? redis.delete(names) }
            cursor = next
        } while cursor != "0"
    }
}
