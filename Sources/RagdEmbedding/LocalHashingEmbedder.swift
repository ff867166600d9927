#if canImport(Glibc)
import Glibc
#endif

/// A built-in, network-free embedder by feature hashing. It is **lexical, not semantic**:
/// texts are close when they share words, word pairs and spelling fragments, not when they
/// mean the same thing in other words ("car" and "automobile" are unrelated to it). It
/// makes the server usable with no embedding service and gives hybrid search a second,
/// typo-tolerant lexical signal; configure a real embedding API for semantic retrieval.
///
/// Features, from the lower-cased text:
/// * word unigrams (weight 1.0) and adjacent word bigrams (0.7), where a word is a run of
///   letters, digits and combining marks;
/// * character 3-grams of each word, padded with boundary marks (0.35 each), so inflected
///   forms and typos still overlap;
/// * for Han, kana and Hangul, which need no spaces, character unigrams (0.6) and
///   bigrams (1.0) instead, bigrams approximating words.
///
/// Each feature's weight is scaled by sublinear term frequency `1 + ln(tf)`, hashed with
/// a fixed 64-bit FNV-1a (never Swift's per-process random `hashValue`) to one of
/// `dimension` buckets with a hash-chosen sign (so collisions cancel out on average), and
/// the vector is L2-normalized. Text without letters or digits is hashed whole, so every
/// vector has unit length. The result depends only on the text and `dimension`;
/// `purpose` is ignored (the features are symmetric).
public struct LocalHashingEmbedder: Embedder, Sendable {
    /// Vector length. Default: 384 (the size of small semantic models such as
    /// multilingual-e5-small, so a collection can later switch model without a new schema).
    public let dimension: Int

    /// `ragd-local-hashing-v1`. Changing the features must change this name.
    public var model: String { "ragd-local-hashing-v1" }

    /// Creates the embedder.
    ///
    /// - Throws: `.invalidConfiguration` unless `1 <= dimension <= 65536`.
    public init(dimension: Int = 384) throws(EmbeddingError) {
        guard (1...65_536).contains(dimension) else {
            throw EmbeddingError(.invalidConfiguration, "local embedder dimension must be between 1 and 65536 (got \(dimension))")
        }
        self.dimension = dimension
    }

    /// One unit vector per text, in order. Never throws for any input.
    public func embed(_ texts: [String], purpose: EmbeddingPurpose) throws(EmbeddingError) -> [[Float]] {
        texts.map(vector)
    }

    /// The vector of one text.
    public func vector(for text: String) -> [Float] {
        var counts: [UInt64: Float] = [:]
        let weights = collectFeatures(text.lowercased(), into: &counts)
        if counts.isEmpty {
            var hash = StableHash(namespace: Namespace.raw)
            for scalar in text.unicodeScalars { hash.combine(scalar) }
            counts[hash.finalize()] = 1
        }
        var vector = [Double](repeating: 0, count: dimension)
        for (feature, count) in counts {
            let weight = (weights[feature] ?? 1) * (1 + log(Double(count)))
            let bucket = Int(feature % UInt64(dimension))
            vector[bucket] += feature >> 63 == 0 ? weight : -weight
        }
        var norm = 0.0
        for value in vector { norm += value * value }
        norm = norm.squareRoot()
        // All features may cancel out in a tiny dimension; fall back to a fixed unit vector.
        guard norm > 0 else {
            var unit = [Float](repeating: 0, count: dimension)
            unit[0] = 1
            return unit
        }
        return vector.map { Float($0 / norm) }
    }

    // MARK: - Features

    private enum Namespace {
        static let word: UInt8 = 1
        static let wordPair: UInt8 = 2
        static let trigram: UInt8 = 3
        static let cjkCharacter: UInt8 = 4
        static let cjkPair: UInt8 = 5
        static let raw: UInt8 = 6
    }

    private enum Weight {
        static let word = 1.0
        static let wordPair = 0.7
        static let trigram = 0.35
        static let cjkCharacter = 0.6
        static let cjkPair = 1.0
    }

    /// Counts every feature hash of `text` into `counts` and returns each feature's base
    /// weight (by kind).
    private func collectFeatures(_ text: String, into counts: inout [UInt64: Float]) -> [UInt64: Double] {
        var weights: [UInt64: Double] = [:]
        func add(_ hash: StableHash, _ weight: Double) {
            let key = hash.finalize()
            counts[key, default: 0] += 1
            weights[key] = weight
        }

        var word: [Unicode.Scalar] = []
        var previousWord: [Unicode.Scalar]?
        var previousCJK: Unicode.Scalar?

        func finishWord() {
            guard !word.isEmpty else { return }
            var unigram = StableHash(namespace: Namespace.word)
            for s in word { unigram.combine(s) }
            add(unigram, Weight.word)
            if let previous = previousWord {
                var pair = StableHash(namespace: Namespace.wordPair)
                for s in previous { pair.combine(s) }
                pair.separator()
                for s in word { pair.combine(s) }
                add(pair, Weight.wordPair)
            }
            // "\u{2}word\u{3}": start and end marks make prefixes and suffixes distinct.
            let padded: [Unicode.Scalar] = ["\u{2}"] + word + ["\u{3}"]
            if padded.count >= 3 {
                for i in 0...(padded.count - 3) {
                    var gram = StableHash(namespace: Namespace.trigram)
                    gram.combine(padded[i]); gram.combine(padded[i + 1]); gram.combine(padded[i + 2])
                    add(gram, Weight.trigram)
                }
            }
            previousWord = word
            word.removeAll(keepingCapacity: true)
        }

        for scalar in text.unicodeScalars {
            if Self.isCJKLetter(scalar) {
                finishWord()
                previousWord = nil
                var single = StableHash(namespace: Namespace.cjkCharacter)
                single.combine(scalar)
                add(single, Weight.cjkCharacter)
                if let previous = previousCJK {
                    var pair = StableHash(namespace: Namespace.cjkPair)
                    pair.combine(previous); pair.combine(scalar)
                    add(pair, Weight.cjkPair)
                }
                previousCJK = scalar
            } else if Self.isWordScalar(scalar) {
                previousCJK = nil
                word.append(scalar)
            } else {
                previousCJK = nil
                finishWord()
                // Sentence punctuation ends a phrase: no word pair across it.
                if scalar.value < 0x80 && !scalar.properties.isWhitespace && scalar != "-" && scalar != "'" { previousWord = nil }
            }
        }
        finishWord()
        return weights
    }

    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 {
            return (v >= 0x30 && v <= 0x39) || (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A)
        }
        let properties = scalar.properties
        if properties.isAlphabetic || properties.numericType != nil { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// Letters of scripts written without spaces: Han, Hiragana, Katakana, Hangul.
    private static func isCJKLetter(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x3040 { return false }
        return (0x3040...0x30FF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v)
            || (0xAC00...0xD7AF).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFF66...0xFF9F).contains(v)
            || (0x20000...0x3FFFF).contains(v)
    }
}
