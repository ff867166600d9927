import Testing
@testable import RagdText

@Suite struct TextNormalizerTests {
    @Test func lineBreaksBecomeLineFeeds() {
        #expect(TextNormalizer.normalize("a\r\nb\rc\nd") == "a\nb\nc\nd")
        #expect(TextNormalizer.normalize("a\u{2028}b\u{85}c") == "a\nb\nc")
        #expect(TextNormalizer.normalize("a\u{2029}b") == "a\n\nb")
        #expect(TextNormalizer.normalize("page\u{0C}break") == "page\nbreak")
    }

    @Test func controlCharactersAreRemovedExceptTabAndNewline() {
        #expect(TextNormalizer.normalize("a\u{0}b\u{1}c\u{7F}d\u{1B}e") == "abcde")
        #expect(TextNormalizer.normalize("col1\tcol2\nx") == "col1\tcol2\nx")
        #expect(TextNormalizer.normalize("c1\u{80}\u{9F}x") == "c1x")
        #expect(TextNormalizer.normalize("\u{FEFF}bom") == "bom")
    }

    @Test func blankLineRunsCollapseAndEdgesAreTrimmed() {
        #expect(TextNormalizer.normalize("\n\n  \nfirst\n\n\n\n\nsecond\n \t \n\nthird   \n\n\n") == "first\n\nsecond\n\nthird")
        #expect(TextNormalizer.normalize("line   \nnext\t\n") == "line\nnext")
        #expect(TextNormalizer.normalize("    indented code\n        more") == "    indented code\n        more")
        #expect(TextNormalizer.normalize(" \n\t\r\n ") == "")
    }

    @Test func unicodeIsComposedToNFC() {
        let decomposed = "Cafe\u{301} A\u{30A}ngstro\u{308}m \u{212B}"
        let normalized = TextNormalizer.normalize(decomposed)
        #expect(normalized == "Café Ångström Å")
        #expect(Array(normalized.unicodeScalars) == Array("Caf\u{E9} \u{C5}ngstr\u{F6}m \u{C5}".unicodeScalars))
        // Hangul jamo compose to a syllable; CJK stays as it is.
        #expect(Array(TextNormalizer.normalize("\u{1100}\u{1161} 世界").unicodeScalars) == Array("\u{AC00} 世界".unicodeScalars))
    }

    @Test func normalizingIsIdempotent() {
        let samples = ["a\r\n\r\n\r\nb", "e\u{301}\n\n\n", "\t x \t\n y", "世界。\r\n\r\n你好"]
        for sample in samples {
            let once = TextNormalizer.normalize(sample)
            #expect(TextNormalizer.normalize(once) == once)
        }
    }
}
