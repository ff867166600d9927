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
        out.append(quote)
        // Native strings are contiguous: scan and copy whole runs that need no escaping.
        let done: Void? = value.withContiguousStorageIfAvailable { bytes in
            var start = 0
            for index in bytes.indices where needsEscape(bytes[index]) {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                appendEscaped(bytes[index], to: &out)
                start = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        if done == nil {
            for byte in value {
                if needsEscape(byte) { appendEscaped(byte, to: &out) } else { out.append(byte) }
            }
        }
        out.append(quote)
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

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == quote || byte == backslash
    }
}
