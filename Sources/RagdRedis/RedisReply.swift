import CHiredis

/// One reply from Redis (RESP2), copied out of hiredis's `redisReply`.
public enum RedisReply: Sendable, Hashable {
    /// A bulk string, binary-safe.
    case string([UInt8])
    /// A simple status such as `OK` or `PONG`.
    case status(String)
    /// An integer.
    case integer(Int64)
    /// An array of replies (possibly nested).
    case array([RedisReply])
    /// The nil reply (missing key, timeout of a blocking command).
    case null
    /// An error reply such as `WRONGTYPE ...`.
    case error(String)

    /// Copies a hiredis reply tree.
    init(copying reply: UnsafePointer<redisReply>) {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            self = .string(Self.bytes(r.str, r.len))
        case REDIS_REPLY_STATUS:
            self = .status(String(decoding: Self.bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int64(r.integer))
        case REDIS_REPLY_ARRAY:
            self = .array((0..<r.elements).map { index in
                guard let element = r.element[index] else { return .null }
                return RedisReply(copying: element)
            })
        case REDIS_REPLY_NIL:
            self = .null
        case REDIS_REPLY_ERROR:
            self = .error(String(decoding: Self.bytes(r.str, r.len), as: UTF8.self))
        default:
            self = .error("unsupported reply type \(r.type)")
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// The bytes of a `.string` reply, else nil.
    public var bytes: [UInt8]? {
        if case .string(let bytes) = self { return bytes }
        return nil
    }

    /// The text of a `.string` (decoded as UTF-8) or `.status` reply, else nil.
    public var text: String? {
        switch self {
        case .string(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .status(let text): return text
        default: return nil
        }
    }

    /// The value of an `.integer` reply, else nil.
    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// Throws `.reply` for an `.error` reply, otherwise returns `self`.
    @discardableResult
    public func throwIfError() throws(RedisError) -> RedisReply {
        if case .error(let message) = self { throw RedisError(.reply, message) }
        return self
    }
}
