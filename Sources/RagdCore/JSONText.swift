/// Hand-rolled JSON text building for hot paths (log lines, probe bodies) where a
/// `JSONEncoder` round trip would cost more than the request itself.
///
/// Both functions work on UTF-8 bytes: every byte that needs escaping is ASCII, and the
/// bytes of non-ASCII scalars are copied unchanged, so the output is the same as escaping
/// scalar by scalar, without a per-character `String` append (which dominated the cost of
/// an access log line when measured).
public enum JSONText {
    /// `value` as a JSON string literal, quotes included.
    public static func quoted(_ value: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count + 2)
        appendQuoted(value.utf8, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A JSON object from ordered key/value pairs whose values are already JSON text.
    public static func object(_ fields: [(String, String)]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(fields.reduce(2) { $0 + $1.0.utf8.count + $1.1.utf8.count + 4 })
        out.append(UInt8(ascii: "{"))
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendQuoted(field.0.utf8, to: &out)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: field.1.utf8)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `value` as a JSON string literal (quotes included) to `out`.
    public static func appendQuoted(_ value: String.UTF8View, to out: inout [UInt8]) {
        // Native strings are contiguous: scan and copy whole runs that need no escaping.
        let done: Void? = value.withContiguousStorageIfAvailable { bytes in
            appendQuoted(bytes, to: &out)
        }
        if done == nil {
            out.append(quote)
            for byte in value {
                if needsEscape(byte) { appendEscaped(byte, to: &out) } else { out.append(byte) }
            }
            out.append(quote)
        }
    }

    /// Appends UTF-8 `bytes` as a JSON string literal (quotes included) to `out`.
    public static func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(quote)
        var start = 0
        // Typed buffers, not raw ones: appending a typed buffer is one copy, a raw one goes
        // byte by byte.
        while let index = firstEscape(in: bytes, from: start) {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
            appendEscaped(bytes[index], to: &out)
            start = index + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        out.append(quote)
    }

    /// Whether any of `bytes` needs escaping inside a JSON string literal (a control
    /// character, `"` or `\`); most log values (ids, routes, methods) need none.
    /// Inlinable: the log line calls it for every key and value from another module.
    @inlinable
    public static func needsEscaping(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        firstEscape(in: bytes, from: 0) != nil
    }

    /// The index of the first byte at or after `start` that needs escaping, nil when none.
    ///
    /// Eight bytes per step while none is found, each test on a whole word: a byte below
    /// 0x20 makes `(w - 0x20 per byte) & ~w & 0x80 per byte` non-zero, and a byte equal to
    /// `"` or `\` leaves a zero byte in `w ^ that byte repeated`, found the same way
    /// (both tests are exact for "is there any such byte", not for which one, so the
    /// word found is then scanned byte by byte).
    @inline(__always) @usableFromInline
    static func firstEscape(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = start
        while index + 8 <= bytes.count {
            let word = UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)
            let quotes = word ^ (ones &* UInt64(quote)), backslashes = word ^ (ones &* UInt64(backslash))
            let found = ((word &- ones &* 0x20) & ~word)
                | ((quotes &- ones) & ~quotes)
                | ((backslashes &- ones) & ~backslashes)
            if found & highs != 0 { break }
            index += 8
        }
        while index < bytes.count {
            if needsEscape(bytes[index]) { return index }
            index += 1
        }
        return nil
    }

    private static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case quote: out.append(backslash); out.append(quote)
        case backslash: out.append(backslash); out.append(backslash)
        case UInt8(ascii: "\n"): out.append(backslash); out.append(UInt8(ascii: "n"))
        case UInt8(ascii: "\r"): out.append(backslash); out.append(UInt8(ascii: "r"))
        case UInt8(ascii: "\t"): out.append(backslash); out.append(UInt8(ascii: "t"))
        default:
            // Other controls: \u00XX with lower-case hex digits.
            out.append(contentsOf: [backslash, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                    hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0f)]])
        }
    }

    @usableFromInline static let quote = UInt8(ascii: "\"")
    @usableFromInline static let backslash = UInt8(ascii: "\\")
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    @inline(__always) @usableFromInline
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == quote || byte == backslash
    }
}
