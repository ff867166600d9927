import Crypto
import RagdCore
import RagdRedis

/// A Lua script with constant text, run by EVALSHA with a fallback to EVAL when Redis does
/// not have it cached (after a restart or SCRIPT FLUSH; EVAL caches it again). Data only
/// ever travels as KEYS and ARGV, never inside the script text. `package`: the rate
/// limiter (`RagdRateLimit`) is one such script.
package struct RedisScript: Sendable {
    /// The Lua source; a constant.
    let source: String
    /// Lower-case hex SHA-1 of `source`, the name Redis caches it under.
    let sha1: String

    package init(_ source: String) {
        self.source = source
        sha1 = Hex.lowercase(Insecure.SHA1.hash(data: Array(source.utf8)))
    }

    /// Runs the script; error replies other than NOSCRIPT are thrown as `.reply`.
    package func run(on connection: RedisConnection, keys: [String], arguments: [[UInt8]]) throws(RedisError) -> RedisReply {
        do {
            return try connection.evalSHA(sha1, keys: keys, arguments: arguments)
        } catch {
            guard error.code == .reply, error.message.hasPrefix("NOSCRIPT") else { throw error }
            return try connection.eval(source, keys: keys, arguments: arguments)
        }
    }
}
