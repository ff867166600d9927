/// Strict UTF-8 decoding of request bodies.
///
/// The standard library's `String(decoding:as:)` silently replaces bad bytes with U+FFFD,
/// and `String(validating:as:)` says only *that* the bytes are bad. A client that sent
/// Latin-1 by mistake deserves to hear *where*, so this validator reports the byte offset
/// of the first ill-formed sequence (Unicode 15, table 3-7: no overlong forms, no
/// surrogates, nothing above U+10FFFF).
public enum UTF8Text {
    /// Decodes `bytes` as UTF-8, dropping one leading byte order mark (EF BB BF).
    ///
    /// - Throws: `TextError.Code.invalidUTF8` with `byteOffset` set to the first byte of
    ///   the first ill-formed (or truncated) sequence, counted from the start of `bytes`.
    public static func decode(_ bytes: some Collection<UInt8>) throws(TextError) -> String {
        let array = bytes as? [UInt8] ?? Array(bytes)
        let outcome: Result<String, TextError> = array.withUnsafeBufferPointer { buffer in
            if let offset = firstInvalidOffset(in: buffer) {
                return .failure(TextError(.invalidUTF8,
                                          "body is not valid UTF-8: invalid byte sequence at byte offset \(offset)",
                                          byteOffset: offset))
            }
            var start = 0
            if buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { start = 3 }
            return .success(String(decoding: UnsafeBufferPointer(rebasing: buffer[start...]), as: UTF8.self))
        }
        return try outcome.get()
    }

    /// The offset of the first byte of the first ill-formed sequence, or nil when all of
    /// `bytes` is well-formed UTF-8.
    public static func firstInvalidOffset(_ bytes: some Collection<UInt8>) -> Int? {
        let array = bytes as? [UInt8] ?? Array(bytes)
        return array.withUnsafeBufferPointer { firstInvalidOffset(in: $0) }
    }

    static func firstInvalidOffset(in buffer: UnsafeBufferPointer<UInt8>) -> Int? {
        let count = buffer.count
        var i = 0
        while i < count {
            let lead = buffer[i]
            if lead < 0x80 {
                i += 1
                continue
            }
            // The allowed range of the second byte depends on the lead byte; the later
            // continuation bytes are always 80...BF.
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F // would be a UTF-16 surrogate
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F // above U+10FFFF otherwise
            default: return i // 80...C1 (continuation or overlong lead) and F5...FF
            }
            guard i + 1 < count, buffer[i + 1] >= low, buffer[i + 1] <= high else { return i }
            var k = 2
            while k < length {
                guard i + k < count, buffer[i + k] & 0xC0 == 0x80 else { return i }
                k += 1
            }
            i += length
        }
        return nil
    }
}
