import Foundation

/// The one tokenizer of the keyword index: documents and queries go through the same code,
/// so a word is found exactly when it was indexed, whatever the database's locale.
///
/// In order:
/// * **NFKC** (Unicode compatibility normalisation): full-width "ＡＢＣ１２３" is "ABC123",
///   half-width katakana become full-width, ligatures ("ﬁ") and circled or
///   superscript digits become plain letters and digits;
/// * **case folding** (Unicode lower-case mapping);
/// * **word boundaries by Unicode category**: a word is a run of letters, digits and
///   combining marks of any script; everything else (punctuation of any script, symbols,
///   emoji, white space, `_`) separates words, so "company’s", "grew—fast" and "«Zorblat»"
///   give "company", "grew", "fast", "zorblat";
/// * **CJK** (Han, kana, Hangul): a run of them becomes its characters and its
///   overlapping character bigrams ("全文检索" → "全", "全文", "文", "文检", "检", "检索",
///   "索"). Bigrams approximate words and rank exact wording first; the characters let a
///   paraphrase that shares no two-character word still match ("共享库" meets
///   "库依赖性" through "库"), as Lucene's CJK bigram filter does with unigrams on. Measured
///   on the Chinese dev set (bench/README.md): with e5 vectors, hybrid search finds 63
///   of 69 answers instead of 61. A particle on its own ("的", "了") is not a term. Mixed
///   text ("用Python写脚本") is split where the script changes, in one pass;
/// * **stop words**: English ones ("the", "how", "do") and the bigrams of Chinese question
///   and filler words ("怎么", "什么", "一个") are dropped: documentation rarely contains
///   them, so they would look rare and weigh heavily in exactly the questions users ask;
/// * **English** words of the letters a-z are reduced by the Porter stemmer ("running" →
///   "run", "connections" → "connect");
/// * a word longer than `maxTermLength` characters is cut to that length (a 10,000-letter
///   "word" is one bounded term, not a huge index key).
///
/// Changing what this produces changes the index: bump `version`, and `ragd reindex
/// --keyword-only` rebuilds the terms of every document.
public enum SearchTokenizer {
    /// The version of the keyword index built from these terms, stored with every indexed
    /// document so that an index built by an older tokenizer (or laid out otherwise) is
    /// known to be stale. 1: CJK bigrams only; 2: CJK characters and bigrams; 3: the same
    /// terms, and each document's title and whole section indexed as well (the
    /// document-level legs of hybrid search, migration 8).
    public static let version = 3

    /// Longest term kept, in characters.
    public static let maxTermLength = 40

    /// The terms of `text`, in order, repeats kept.
    public static func terms(_ text: String) -> [String] {
        var terms: [String] = []
        forEachTerm(in: text) { terms.append($0) }
        return terms
    }

    /// Each distinct term of `text` with its count, and the number of terms in all (the
    /// length BM25 normalises by).
    public static func termFrequencies(_ text: String) -> (counts: [String: Int], length: Int) {
        var counts: [String: Int] = [:]
        var length = 0
        forEachTerm(in: text) { term in
            counts[term, default: 0] += 1
            length += 1
        }
        return (counts, length)
    }

    /// The distinct terms of a query, in first-seen order.
    public static func queryTerms(_ text: String) -> [String] {
        var seen = Set<String>()
        return terms(text).filter { seen.insert($0).inserted }
    }

    // MARK: the scan

    private enum Kind { case separator, word, cjk }

    static func forEachTerm(in text: String, _ emit: (String) -> Void) {
        let normalized = text.utf8.allSatisfy({ $0 < 0x80 }) ? text : text.precomposedStringWithCompatibilityMapping
        var word = String.UnicodeScalarView()
        var cjkRun: [Unicode.Scalar] = []

        func flushWord() {
            guard !word.isEmpty else { return }
            emitWord(String(word), emit)
            word.removeAll(keepingCapacity: true)
        }
        func flushCJK() {
            guard !cjkRun.isEmpty else { return }
            // Stop words split the run: "怎么配置网络" indexes as "配置网络", so no bigram
            // straddles the question word ("么配").
            var segment: [Unicode.Scalar] = []
            var index = 0
            while index < cjkRun.count {
                if let length = ChineseStopTerms.match(cjkRun, at: index) {
                    emitCJK(segment)
                    segment.removeAll(keepingCapacity: true)
                    index += length
                } else {
                    segment.append(cjkRun[index])
                    index += 1
                }
            }
            emitCJK(segment)
            cjkRun.removeAll(keepingCapacity: true)
        }
        func emitCJK(_ run: [Unicode.Scalar]) {
            for index in run.indices {
                if !ChineseStopTerms.isLoneStopCharacter(run[index]) { emit(String(run[index])) }
                guard index + 1 < run.count else { break }
                var bigram = String.UnicodeScalarView()
                bigram.append(run[index])
                bigram.append(run[index + 1])
                emit(String(bigram))
            }
        }

        for scalar in normalized.unicodeScalars {
            switch kind(of: scalar) {
            case .word:
                flushCJK()
                if scalar.value < 0x80 {
                    // ASCII: lower-case by arithmetic; the full mapping allocates a string.
                    let v = scalar.value
                    word.append((0x41...0x5A).contains(v) ? Unicode.Scalar(UInt8(v + 0x20)) : scalar)
                } else if scalar.properties.changesWhenLowercased {
                    for lower in scalar.properties.lowercaseMapping.unicodeScalars { word.append(lower) }
                } else {
                    word.append(scalar)
                }
            case .cjk:
                flushWord()
                cjkRun.append(scalar)
            case .separator:
                flushWord()
                flushCJK()
            }
        }
        flushWord()
        flushCJK()
    }

    /// A finished word: cut if too long, dropped if a stop word, stemmed if English.
    private static func emitWord(_ word: String, _ emit: (String) -> Void) {
        var word = word
        if word.unicodeScalars.count > maxTermLength {
            word = String(String.UnicodeScalarView(word.unicodeScalars.prefix(maxTermLength)))
        }
        var ascii = true, letters = true
        for byte in word.utf8 {
            if byte >= 0x80 { ascii = false; letters = false; break }
            if !(0x61...0x7A).contains(byte) { letters = false }
        }
        if ascii, EnglishStopWords.contains(word) { return }
        emit(letters ? PorterStemmer.stem(word) : word)
    }

    @inline(__always)
    private static func kind(of scalar: Unicode.Scalar) -> Kind {
        let v = scalar.value
        if v < 0x80 {
            // ASCII letters and digits; `_` and all else separate.
            if (0x61...0x7A).contains(v) || (0x41...0x5A).contains(v) || (0x30...0x39).contains(v) { return .word }
            return .separator
        }
        if isBigramScript(v) { return .cjk }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber,
             .nonspacingMark, .spacingMark, .enclosingMark:
            return .word
        default:
            return .separator
        }
    }

    /// Scripts written without spaces between words (Han, Hiragana, Katakana) and Hangul,
    /// indexed as character bigrams. The prolonged-sound mark and the iteration marks
    /// belong to the run they are in.
    @inline(__always)
    static func isBigramScript(_ v: UInt32) -> Bool {
        if v < 0x1100 { return false }
        return (0x1100...0x11FF).contains(v)      // Hangul Jamo
            || (0x3005...0x3007).contains(v)      // 々 〆 〇
            || (0x3040...0x30FF).contains(v)      // Hiragana, Katakana (ー included)
            || (0x3130...0x318F).contains(v)      // Hangul compatibility Jamo
            || (0x31F0...0x31FF).contains(v)      // Katakana phonetic extensions
            || (0x3400...0x4DBF).contains(v)      // CJK extension A
            || (0x4E00...0x9FFF).contains(v)      // CJK unified ideographs
            || (0xAC00...0xD7AF).contains(v)      // Hangul syllables
            || (0xF900...0xFAFF).contains(v)      // CJK compatibility ideographs
            || (0x20000...0x3FFFF).contains(v)    // CJK extensions B and later
    }
}
