/// The few character classes the chunker needs, with ASCII fast paths.
enum CharacterClass {
    @inline(__always)
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x80 { return v == 0x20 || v == 0x0A || v == 0x09 || v == 0x0D || v == 0x0B || v == 0x0C }
        return c.properties.isWhitespace
    }

    /// Han, kana, Hangul, bopomofo, CJK symbols and punctuation, full-width forms: scripts
    /// written without spaces between words (Hangul usually has them, and white space wins).
    @inline(__always)
    static func isCJK(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x2E80 { return false }
        return (0x2E80...0x2FDF).contains(v) || (0x3000...0x31FF).contains(v) || (0x3400...0x4DBF).contains(v)
            || (0x4E00...0x9FFF).contains(v) || (0xAC00...0xD7AF).contains(v) || (0xF900...0xFAFF).contains(v)
            || (0xFF00...0xFFEF).contains(v) || (0x20000...0x3FFFF).contains(v)
    }

    static func isSentenceEnd(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case ".", "!", "?", "\u{2026}", "\u{3002}", "\u{FF01}", "\u{FF1F}", "\u{FF0E}", "\u{FF61}": return true
        default: return false
        }
    }

    static func isClauseEnd(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case ",", ";", ":", "\u{FF0C}", "\u{3001}", "\u{FF1B}", "\u{FF1A}": return true
        default: return false
        }
    }

    /// Closing quotes and brackets, which belong to the sentence before them.
    static func isCloser(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case ")", "]", "}", "\"", "'", "\u{2019}", "\u{201D}", "\u{00BB}", "\u{300D}", "\u{300F}", "\u{FF09}",
             "\u{300B}", "\u{3009}", "\u{3011}", "\u{3015}", "\u{FF3D}", "\u{FF63}":
            return true
        default: return false
        }
    }

    /// Scalars that attach to the one before: combining marks, joiners, variation
    /// selectors, emoji modifiers. A chunk never starts with one.
    static func isExtending(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x300 { return false }
        if v == 0x200D || v == 0x200C || (0xFE00...0xFE0F).contains(v) || (0x1F3FB...0x1F3FF).contains(v)
            || (0xE0100...0xE01EF).contains(v) { return true }
        switch c.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }
}
