// Typed helpers for the commands the cache and the rate limiter need. Each one throws
// `.reply` for an error reply and `.protocolError` for an answer of the wrong shape.

extension RedisConnection {
    /// GET: the value's bytes, or nil when the key does not exist.
    public func get(_ key: String) throws(RedisError) -> [UInt8]? {
        switch try command(["GET", key].map { Array($0.utf8) }).throwIfError() {
        case .string(let bytes): return bytes
        case .null: return nil
        default: throw RedisError(.protocolError, "unexpected answer to GET")
        }
    }

    /// SET, with an optional expiry (PX, millisecond precision). Default: no expiry.
    public func set(_ key: String, _ value: [UInt8], expiresIn: Duration? = nil) throws(RedisError) {
        var arguments = [Array("SET".utf8), Array(key.utf8), value]
        if let expiresIn {
            let ms = max(1, Int64(expiresIn.components.seconds) * 1000
                + Int64(expiresIn.components.attoseconds / 1_000_000_000_000_000))
            arguments += [Array("PX".utf8), Array(String(ms).utf8)]
        }
        guard try command(arguments).throwIfError() == .status("OK") else {
            throw RedisError(.protocolError, "unexpected answer to SET")
        }
    }

    /// SET for a text value (stored as UTF-8).
    public func set(_ key: String, _ value: String, expiresIn: Duration? = nil) throws(RedisError) {
        try set(key, Array(value.utf8), expiresIn: expiresIn)
    }

    /// INCRBY (INCR when `by` is 1): the new value. Default: by 1.
    public func increment(_ key: String, by amount: Int64 = 1) throws(RedisError) -> Int64 {
        let arguments = amount == 1 ? ["INCR", key] : ["INCRBY", key, String(amount)]
        guard let value = try command(arguments).throwIfError().integer else {
            throw RedisError(.protocolError, "unexpected answer to INCR")
        }
        return value
    }

    /// PEXPIRE: true when the key exists and now expires after `duration`.
    @discardableResult
    public func expire(_ key: String, after duration: Duration) throws(RedisError) -> Bool {
        let ms = max(1, Int64(duration.components.seconds) * 1000
            + Int64(duration.components.attoseconds / 1_000_000_000_000_000))
        guard let value = try command(["PEXPIRE", key, String(ms)]).throwIfError().integer else {
            throw RedisError(.protocolError, "unexpected answer to PEXPIRE")
        }
        return value == 1
    }

    /// DEL: how many of `keys` existed.
    @discardableResult
    public func delete(_ keys: [String]) throws(RedisError) -> Int64 {
        precondition(!keys.isEmpty, "DEL needs at least one key")
        guard let value = try command(["DEL"] + keys).throwIfError().integer else {
            throw RedisError(.protocolError, "unexpected answer to DEL")
        }
        return value
    }
}
