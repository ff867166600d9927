/// The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", 1980), with the
/// two later corrections from its author's reference implementation ("bli" → "ble",
/// "logi" → "log"), for lower-case English words of the letters a-z.
///
/// It maps the forms of a word to one stem ("connect", "connected", "connecting",
/// "connection", "connections" → "connect"), so a question finds a passage that uses
/// another form. Stems need not be words ("replacement" → "replac"); only equality matters.
public enum PorterStemmer {
    /// The stem of `word`; words of one or two letters, and anything not entirely a-z,
    /// are returned as they are.
    public static func stem(_ word: String) -> String {
        let letters = Array(word.utf8)
        guard letters.count > 2, letters.allSatisfy({ (0x61...0x7A).contains($0) }) else { return word }
        var stemmer = Stemmer(letters)
        stemmer.run()
        return String(decoding: stemmer.b[0..<stemmer.end], as: UTF8.self)
    }

    /// The working state: `b[0..<end]` is the word so far; `j` marks where the suffix
    /// matched by the last `ends` begins.
    private struct Stemmer {
        var b: [UInt8]
        var end: Int
        var j = 0

        init(_ letters: [UInt8]) {
            b = letters
            end = letters.count
        }

        mutating func run() {
            step1ab()
            if end > 1 {
                step1c()
                step2()
                step3()
                step4()
                step5()
            }
        }

        // MARK: the word's shape

        /// True when `b[i]` is a consonant: not a vowel, and `y` only after a vowel or at
        /// the start.
        func isConsonant(_ i: Int) -> Bool {
            // A run of y's alternates (consonant, vowel, ...) from the letter before it;
            // counted, not recursed, so no word can exhaust the stack.
            var i = i, flips = false
            while b[i] == UInt8(ascii: "y") {
                if i == 0 { return !flips }
                flips.toggle()
                i -= 1
            }
            switch b[i] {
            case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"): return flips
            default: return !flips
            }
        }

        /// m, the number of vowel-consonant sequences in `b[0..<j]`: [C](VC)^m[V].
        func measure() -> Int {
            var n = 0, i = 0
            while true {
                if i >= j { return n }
                if !isConsonant(i) { break }
                i += 1
            }
            i += 1
            while true {
                while true {
                    if i >= j { return n }
                    if isConsonant(i) { break }
                    i += 1
                }
                i += 1
                n += 1
                while true {
                    if i >= j { return n }
                    if !isConsonant(i) { break }
                    i += 1
                }
                i += 1
            }
        }

        /// `b[0..<j]` contains a vowel.
        func stemHasVowel() -> Bool {
            (0..<j).contains { !isConsonant($0) }
        }

        /// `b[i-1]` and `b[i]` are the same consonant.
        func doubleConsonant(_ i: Int) -> Bool {
            i >= 1 && b[i] == b[i - 1] && isConsonant(i)
        }

        /// `b[i-2...i]` is consonant-vowel-consonant and the last is not w, x or y: the
        /// shape after which an "e" is restored ("hop(e)", "fil(e)").
        func cvc(_ i: Int) -> Bool {
            guard i >= 2, isConsonant(i), !isConsonant(i - 1), isConsonant(i - 2) else { return false }
            let c = b[i]
            return c != UInt8(ascii: "w") && c != UInt8(ascii: "x") && c != UInt8(ascii: "y")
        }

        /// The word ends with `suffix`; sets `j` to where it starts.
        mutating func ends(_ suffix: StaticString) -> Bool {
            let count = suffix.utf8CodeUnitCount
            guard count <= end else { return false }
            let start = end - count
            let matches = suffix.withUTF8Buffer { s in
                var i = 0
                while i < count {
                    if b[start + i] != s[i] { return false }
                    i += 1
                }
                return true
            }
            guard matches else { return false }
            j = start
            return true
        }

        /// Replaces the matched suffix (from `j`) with `replacement`.
        mutating func setTo(_ replacement: StaticString) {
            b.removeSubrange(j...)
            replacement.withUTF8Buffer { b.append(contentsOf: $0) }
            end = b.count
        }

        /// `setTo` when the stem before the suffix has m > 0.
        mutating func replaceIfMeasured(_ replacement: StaticString) {
            if measure() > 0 { setTo(replacement) }
        }

        /// The first matching suffix of `rules` is replaced when m > 0; later ones are not
        /// tried, as in the reference implementation.
        mutating func firstRule(_ rules: [(StaticString, StaticString)]) {
            for (suffix, replacement) in rules where ends(suffix) {
                replaceIfMeasured(replacement)
                return
            }
        }

        // MARK: the steps

        /// Plurals and -ed/-ing: caresses → caress, ponies → poni, hopping → hop, filing → file.
        mutating func step1ab() {
            if b[end - 1] == UInt8(ascii: "s") {
                if ends("sses") { end -= 2 }
                else if ends("ies") { setTo("i") }
                else if end >= 2, b[end - 2] != UInt8(ascii: "s") { end -= 1 }
                b.removeSubrange(end...)
            }
            if ends("eed") {
                if measure() > 0 { end -= 1; b.removeSubrange(end...) }
            } else if (ends("ed") || ends("ing")) && stemHasVowel() {
                end = j
                b.removeSubrange(end...)
                if ends("at") { setTo("ate") }
                else if ends("bl") { setTo("ble") }
                else if ends("iz") { setTo("ize") }
                else if doubleConsonant(end - 1) {
                    let last = b[end - 1]
                    if last != UInt8(ascii: "l") && last != UInt8(ascii: "s") && last != UInt8(ascii: "z") {
                        end -= 1
                        b.removeSubrange(end...)
                    }
                } else {
                    j = end
                    if measure() == 1 && cvc(end - 1) {
                        b.append(UInt8(ascii: "e"))
                        end += 1
                    }
                }
            }
        }

        /// Terminal y → i when there is another vowel: happy → happi.
        mutating func step1c() {
            if ends("y") && stemHasVowel() { b[end - 1] = UInt8(ascii: "i") }
        }

        /// Double suffixes to single ones: relational → relate, conditional → condition.
        mutating func step2() {
            firstRule(Self.step2Rules)
        }

        static let step2Rules: [(StaticString, StaticString)] = [
            ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"),
            ("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"),
            ("ization", "ize"), ("ation", "ate"), ("ator", "ate"), ("alism", "al"), ("iveness", "ive"),
            ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"),
            ("logi", "log"),
        ]

        /// -ic-, -full, -ness: triplicate → triplic, hopeful → hope, goodness → good.
        mutating func step3() {
            firstRule(Self.step3Rules)
        }

        static let step3Rules: [(StaticString, StaticString)] = [
            ("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", ""),
        ]

        /// Removes -ant, -ence, ... when m > 1: revival → reviv, adjustment → adjust.
        mutating func step4() {
            // A suffix is the longest that matches (ement before ment before ent); the
            // first match decides, even when its condition then fails.
            for suffix in Self.step4Suffixes where ends(suffix) {
                if suffix.description == "ion" {
                    guard j >= 1, b[j - 1] == UInt8(ascii: "s") || b[j - 1] == UInt8(ascii: "t") else { return }
                }
                if measure() > 1 {
                    end = j
                    b.removeSubrange(end...)
                }
                return
            }
        }

        static let step4Suffixes: [StaticString] = ["ement", "ance", "ence", "able", "ible", "ment", "ant", "ent", "ion", "ism", "ate",
                                    "iti", "ous", "ive", "ize", "al", "er", "ic", "ou"]

        /// Final -e and -ll: probate → probat, controll → control.
        mutating func step5() {
            j = end
            if b[end - 1] == UInt8(ascii: "e") {
                let m = measure()
                if m > 1 || (m == 1 && !cvc(end - 2)) {
                    end -= 1
                    b.removeSubrange(end...)
                }
            }
            j = end
            if b[end - 1] == UInt8(ascii: "l") && doubleConsonant(end - 1) && measure() > 1 {
                end -= 1
                b.removeSubrange(end...)
            }
        }
    }
}
