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

// MARK: - Batches and scripts

extension RedisConnection {
    /// MGET: one entry per key, in order; nil for a missing key (or one holding a
    /// non-string value, which MGET also reports as nil).
    public func mget(_ keys: [String]) throws(RedisError) -> [[UInt8]?] {
        precondition(!keys.isEmpty, "MGET needs at least one key")
        guard case .array(let elements) = try command(["MGET"] + keys).throwIfError(), elements.count == keys.count else {
            throw RedisError(.protocolError, "unexpected answer to MGET")
        }
        var values: [[UInt8]?] = []
        values.reserveCapacity(elements.count)
        for element in elements {
            switch element {
            case .string(let bytes): values.append(bytes)
            case .null: values.append(nil)
            default: throw RedisError(.protocolError, "unexpected element in the answer to MGET")
            }
        }
        return values
    }

    /// EVAL: runs the Lua `script` with `keys` as KEYS and `arguments` as ARGV (all sent
    /// as separate, binary-safe arguments). Returns the script's reply; an error reply
    /// (a script error, OOM, ...) is thrown as `.reply`.
    public func eval(_ script: String, keys: [String] = [], arguments: [[UInt8]] = []) throws(RedisError) -> RedisReply {
        try command(Self.scriptCall("EVAL", script, keys, arguments)).throwIfError()
    }

    /// EVALSHA: runs the script cached under `sha1` (lower-case hex SHA-1 of its text).
    /// When Redis does not know the script (a restart, SCRIPT FLUSH, another server) it
    /// throws `.reply` with a message starting with `NOSCRIPT`; send EVAL then.
    public func evalSHA(_ sha1: String, keys: [String] = [], arguments: [[UInt8]] = []) throws(RedisError) -> RedisReply {
        try command(Self.scriptCall("EVALSHA", sha1, keys, arguments)).throwIfError()
    }

    private static func scriptCall(_ name: String, _ script: String, _ keys: [String], _ arguments: [[UInt8]]) -> [[UInt8]] {
        var argv: [[UInt8]] = [Array(name.utf8), Array(script.utf8), Array(String(keys.count).utf8)]
        argv.reserveCapacity(3 + keys.count + arguments.count)
        for key in keys { argv.append(Array(key.utf8)) }
        argv.append(contentsOf: arguments)
        return argv
    }
}
