/// Splits normalized text into overlapping chunks for embedding and retrieval.
///
/// Every chunk has at most `size` characters (Unicode scalars). Where a chunk ends is
/// chosen from the last `size` characters of the window in this order of preference:
/// a paragraph break (blank line), a line break, the end of a sentence (`.` `!` `?` `…`
/// followed by white space, but not a `.` before a lower-case word as in "e.g. this";
/// CJK `。` `！` `？` anywhere), a clause mark (`,` `;` `:`, CJK `，` `、` `；` `：`), then
/// white space, then a boundary between CJK characters (so Chinese and Japanese without
/// spaces split between characters, never inside one). Structural breaks (paragraph,
/// line, sentence, clause) are used only when the chunk is at least a third of `size`
/// and at least `overlap` + a quarter of `size` long, so tiny fragments do not result
/// and every chunk brings new text; a word is cut only when no white space or CJK
/// boundary exists in the window, that is when one word is longer than `size`, and then
/// on a grapheme boundary where one exists.
///
/// The next chunk starts up to `overlap` characters before the previous one ended: at
/// the first sentence start in that range if there is one, else at the first word start,
/// else right after the previous chunk. Every non-white-space character of the text is in at
/// least one chunk; each chunk ends beyond the previous one, so the loop always ends, in
/// time linear in the text for sensible settings. The output depends only on the text
/// and the two settings.
public struct Chunker: Sendable {
    /// Most characters (Unicode scalars) per chunk. Default: 800.
    public let size: Int
    /// Characters repeated from the end of one chunk at the start of the next. Default: 120.
    public let overlap: Int

    /// Creates a chunker.
    ///
    /// - Throws: `TextError.Code.invalidArgument` unless `size >= 1` and
    ///   `0 <= overlap <= size / 2` (a larger overlap would mostly repeat text).
    public init(size: Int = 800, overlap: Int = 120) throws(TextError) {
        guard size >= 1 else {
            throw TextError(.invalidArgument, "chunk size must be at least 1 (got \(size))")
        }
        guard overlap >= 0, overlap <= size / 2 else {
            throw TextError(.invalidArgument, "chunk overlap must be between 0 and half the chunk size \(size / 2) (got \(overlap))")
        }
        self.size = size
        self.overlap = overlap
    }

    /// Splits `text` (normally `TextNormalizer.normalize`d) into chunks; no chunks for
    /// text that is empty or only white space.
    public func chunks(of text: String) -> [TextChunk] {
        let scalars = Array(text.unicodeScalars)
        return ChunkPlanner(scalars: scalars, size: size, overlap: overlap).plan().enumerated().map { ordinal, range in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return TextChunk(ordinal: ordinal, text: String(view), start: range.lowerBound, end: range.upperBound)
        }
    }
}

// MARK: - Planning

/// Break preference at a position (a chunk may end just before it). Higher is better.
enum BreakLevel {
    static let none: UInt8 = 0
    static let cjkCharacter: UInt8 = 1
    static let word: UInt8 = 2
    static let clause: UInt8 = 3
    static let sentence: UInt8 = 4
    static let line: UInt8 = 5
    static let paragraph: UInt8 = 6
}

/// Chooses the chunk ranges over an array of scalars.
struct ChunkPlanner {
    let s: [Unicode.Scalar]
    let size: Int
    let overlap: Int
    /// `levels[b]`: how good it is to end a chunk at `b` (exclusive).
    private var levels: [UInt8]

    init(scalars: [Unicode.Scalar], size: Int, overlap: Int) {
        s = scalars
        self.size = size
        self.overlap = overlap
        levels = []
        levels = Self.breakLevels(scalars)
    }

    func plan() -> [Range<Int>] {
        let n = s.count
        var textEnd = n
        while textEnd > 0 && CharacterClass.isWhitespace(s[textEnd - 1]) { textEnd -= 1 }
        var ranges: [Range<Int>] = []
        var start = skipWhitespace(from: 0)
        var previousEnd = 0
        let minimumFill = max(size / 3, min(size - 1, overlap + size / 4))
        while start < textEnd && previousEnd < textEnd {
            let limit = start + size
            var end: Int
            if limit >= textEnd {
                end = textEnd
            } else {
                end = chooseEnd(start: start, limit: limit, floor: max(start, previousEnd), minimumFill: minimumFill)
                while end > start && CharacterClass.isWhitespace(s[end - 1]) { end -= 1 }
            }
            if end <= previousEnd {
                // The window held nothing new but white space: continue after the last
                // chunk without overlap.
                start = skipWhitespace(from: previousEnd)
                continue
            }
            ranges.append(start..<end)
            previousEnd = end
            start = nextStart(after: start, end: end)
        }
        return ranges
    }

    /// The best end in `(floor, limit]`: see `Chunker`.
    private func chooseEnd(start: Int, limit: Int, floor: Int, minimumFill: Int) -> Int {
        var best = [Int](repeating: -1, count: Int(BreakLevel.paragraph) + 1)
        var b = limit
        while b > floor {
            // best[l] is the last position at level l *or better*: a sentence end is also
            // a place to break between words.
            let level = Int(levels[b])
            if level > 0 {
                for l in 1...level where best[l] < 0 { best[l] = b }
            }
            b -= 1
        }
        for level in stride(from: Int(BreakLevel.paragraph), through: Int(BreakLevel.clause), by: -1)
        where best[level] >= 0 && best[level] - start >= minimumFill {
            return best[level]
        }
        for level in [Int(BreakLevel.word), Int(BreakLevel.cjkCharacter)] where best[level] >= 0 {
            return best[level]
        }
        // One word longer than the window: cut it, on a grapheme boundary if possible.
        var cut = limit
        while cut > floor + 1 && !isGraphemeBoundary(cut) { cut -= 1 }
        return cut > floor + 1 || isGraphemeBoundary(cut) ? cut : limit
    }

    /// Where the chunk after `start..<end` begins: the first sentence start within the
    /// overlap (so the overlap is whole sentences when they are short enough), else the
    /// first word start within it, else the first non-white-space character after `end`.
    private func nextStart(after start: Int, end: Int) -> Int {
        guard overlap > 0 else { return skipWhitespace(from: end) }
        let low = max(end - overlap, start + 1)
        var p = max(low - 1, start + 1)
        while p < end {
            if levels[p] >= BreakLevel.sentence {
                let sentenceStart = skipWhitespace(from: p)
                if sentenceStart >= low && sentenceStart < end { return sentenceStart }
            }
            p += 1
        }
        p = low
        while p < end {
            if isWordStart(p) { return p }
            p += 1
        }
        return skipWhitespace(from: end)
    }

    private func isWordStart(_ p: Int) -> Bool {
        guard !CharacterClass.isWhitespace(s[p]) else { return false }
        return CharacterClass.isWhitespace(s[p - 1]) || levels[p] >= BreakLevel.cjkCharacter
    }

    private func skipWhitespace(from position: Int) -> Int {
        var p = position
        while p < s.count && CharacterClass.isWhitespace(s[p]) { p += 1 }
        return p
    }

    /// Whether `p` falls between two grapheme clusters, decided on a small window around
    /// it: clusters are local, and segmenting the whole text up front would cost more
    /// than all the rest of the chunking.
    private func isGraphemeBoundary(_ p: Int) -> Bool {
        if p <= 0 || p >= s.count { return true }
        let low = max(0, p - 16), high = min(s.count, p + 16)
        var view = String.UnicodeScalarView()
        view.append(contentsOf: s[low..<high])
        var position = low
        for character in String(view) {
            position += character.unicodeScalars.count
            if position == p { return true }
            if position > p { return false }
        }
        return false
    }

    /// One linear pass; white space runs are scanned once, at their start.
    private static func breakLevels(_ s: [Unicode.Scalar]) -> [UInt8] {
        let n = s.count
        var levels = [UInt8](repeating: BreakLevel.none, count: n + 1)
        guard n > 1 else { return levels }
        for b in 1..<n {
            let previous = s[b - 1], current = s[b]
            let previousSpace = CharacterClass.isWhitespace(previous)
            let currentSpace = CharacterClass.isWhitespace(current)
            if previousSpace { continue }
            if currentSpace {
                var newlines = 0
                var k = b
                while k < n && CharacterClass.isWhitespace(s[k]) {
                    if s[k] == "\n" { newlines += 1 }
                    k += 1
                }
                var level = newlines >= 2 ? BreakLevel.paragraph : newlines == 1 ? BreakLevel.line : BreakLevel.word
                switch punctuation(before: b, in: s) {
                case .sentence where s[b - 1] == "." && k < n && s[k].properties.isLowercase:
                    // "e.g. a URL", "approx. three": a full stop before a lower-case word
                    // rarely ends a sentence.
                    break
                case .sentence: level = max(level, BreakLevel.sentence)
                case .clause: level = max(level, BreakLevel.clause)
                case .none: break
                }
                levels[b] = level
                continue
            }
            // Between two visible characters: only CJK text breaks here.
            if CharacterClass.isCloser(current) || CharacterClass.isExtending(current) { continue }
            let currentCJK = CharacterClass.isCJK(current)
            switch punctuation(before: b, in: s) {
            case .sentence where currentCJK || CharacterClass.isCJK(s[b - 1]) || isCJKPunctuationBefore(b, s):
                levels[b] = BreakLevel.sentence
            case .clause where currentCJK || isCJKPunctuationBefore(b, s):
                levels[b] = BreakLevel.clause
            default:
                if currentCJK || CharacterClass.isCJK(previous) { levels[b] = BreakLevel.cjkCharacter }
            }
        }
        return levels
    }

    private enum Punctuation { case none, clause, sentence }

    /// What ends just before `b`, looking back over closing quotes and brackets.
    private static func punctuation(before b: Int, in s: [Unicode.Scalar]) -> Punctuation {
        var k = b - 1
        while k > 0 && b - k <= 4 && CharacterClass.isCloser(s[k]) { k -= 1 }
        let mark = s[k]
        if CharacterClass.isSentenceEnd(mark) { return .sentence }
        if CharacterClass.isClauseEnd(mark) { return .clause }
        return .none
    }

    private static func isCJKPunctuationBefore(_ b: Int, _ s: [Unicode.Scalar]) -> Bool {
        var k = b - 1
        while k > 0 && b - k <= 4 && CharacterClass.isCloser(s[k]) { k -= 1 }
        return CharacterClass.isCJK(s[k])
    }
}
