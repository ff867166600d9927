/// Puts text into the one shape that is stored, chunked, embedded and searched, so that
/// the same document always yields the same chunks and offsets.
///
/// In order:
/// * line breaks: CRLF, lone CR, NEL (U+0085), VT, FF and U+2028 become LF; U+2029
///   (paragraph separator) becomes a blank line;
/// * control characters other than LF and TAB (C0, DEL, C1) and the byte order mark /
///   zero-width no-break space U+FEFF are removed (NUL included);
/// * trailing spaces and tabs are removed from every line, so whitespace-only lines are
///   blank;
/// * runs of blank lines collapse to one blank line, and blank lines at the start and end
///   go (leading indentation of the first line is kept);
/// * Unicode NFC, so "e" + U+0301 and "é" are the same text for search and embedding.
///
/// NFC comes from the standard library's own normalization tables (the same ones
/// `String` comparison uses), so neither Foundation nor ICU is loaded for it.
public enum TextNormalizer {
    /// Returns the normalized form of `text` (see the type's documentation).
    public static func normalize(_ text: String) -> String {
        var utf8 = Array(text.utf8)
        utf8 = cleanLines(utf8)
        if utf8.contains(where: { $0 >= 0x80 }) {
            // Nothing NFC does creates or removes line breaks or controls, so it can run last.
            let composed = String(decoding: utf8, as: UTF8.self)._nfcCodeUnits
            return String(decoding: composed, as: UTF8.self)
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Line-break, control-character and blank-line handling, on valid UTF-8 bytes. All
    /// the characters it touches are ASCII or have fixed, recognisable encodings, so no
    /// decoding is needed.
    static func cleanLines(_ input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        // Spaces/tabs seen since the last visible character: written only if something
        // other than a line break follows, which drops trailing whitespace.
        var pendingBlanks: [UInt8] = []
        // Line breaks seen since the last visible character; 0 at the start of the text.
        var pendingBreaks = 0
        var seenText = false

        @inline(__always) func lineBreak(_ count: Int) {
            pendingBlanks.removeAll(keepingCapacity: true)
            pendingBreaks += count
        }
        @inline(__always) func visible(_ bytes: UnsafeBufferPointer<UInt8>.SubSequence) {
            if seenText && pendingBreaks > 0 {
                output.append(10)
                if pendingBreaks > 1 { output.append(10) }
            }
            pendingBreaks = 0
            output.append(contentsOf: pendingBlanks)
            pendingBlanks.removeAll(keepingCapacity: true)
            output.append(contentsOf: bytes)
            seenText = true
        }

        input.withUnsafeBufferPointer { bytes in
            let count = bytes.count
            var i = 0
            while i < count {
                let b = bytes[i]
                switch b {
                case 10, 11, 12:
                    lineBreak(1)
                    i += 1
                case 13:
                    lineBreak(1)
                    i += (i + 1 < count && bytes[i + 1] == 10) ? 2 : 1
                case 32, 9:
                    pendingBlanks.append(b)
                    i += 1
                case 0..<32, 127:
                    i += 1
                case 0xC2 where i + 1 < count && bytes[i + 1] >= 0x80 && bytes[i + 1] <= 0x9F:
                    // C1 controls; U+0085 (NEL) is a line break.
                    if bytes[i + 1] == 0x85 { lineBreak(1) }
                    i += 2
                case 0xE2 where i + 2 < count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                    lineBreak(bytes[i + 2] == 0xA8 ? 1 : 2)
                    i += 3
                case 0xEF where i + 2 < count && bytes[i + 1] == 0xBB && bytes[i + 2] == 0xBF:
                    i += 3
                default:
                    // One whole scalar: its length follows from the lead byte.
                    let length = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
                    let end = min(count, i + length)
                    visible(bytes[i..<end])
                    i = end
                }
            }
        }
        return output
    }
}
