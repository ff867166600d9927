import RagdCore

/// Request ids: nginx's `$request_id` (32 hex digits) is passed through; anything a client
/// could use to inject into logs is replaced by a fresh id.
public enum RequestID {
    /// Accepts 1...128 characters from `[A-Za-z0-9._-]`, else nil.
    public static func sanitize(_ candidate: String?) -> String? {
        guard var candidate else { return nil }
        let accepted = candidate.withUTF8 { isAcceptable($0) }
        return accepted ? candidate : nil
    }

    /// Whether the UTF-8 `bytes` are an id `sanitize` accepts (1...128 bytes from
    /// `[A-Za-z0-9._-]`): the transport checks the param's bytes before making a String.
    public static func isAcceptable(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= 128 else { return false }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                continue
            default:
                return false
            }
        }
        return true
    }

    /// 32 random hex digits, the same shape as nginx's `$request_id`.
    public static func generate() -> String {
        // SystemRandomNumberGenerator reads getrandom(2): unpredictable ids, safe after fork.
        var rng = SystemRandomNumberGenerator()
        let high = rng.next() as UInt64, low = rng.next() as UInt64
        let bytes = (0..<16).map { i in UInt8(truncatingIfNeeded: (i < 8 ? high : low) >> (UInt64(i % 8) * 8)) }
        return Hex.lowercase(bytes)
    }
}
