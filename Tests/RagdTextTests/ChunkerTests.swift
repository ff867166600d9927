import Testing
@testable import RagdText

/// A small deterministic generator, so "random" texts are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum SampleText {
    static let words = ["retrieval", "augmented", "generation", "vector", "index", "chunk", "overlap", "model", "the",
                        "a", "of", "search", "server", "worker", "PostgreSQL", "embedding", "Milvus", "latency", "x"]

    /// Paragraphs of sentences of words, with the given seed.
    static func english(seed: UInt64, paragraphs: Int) -> String {
        var rng = SplitMix64(seed: seed)
        var text: [String] = []
        for _ in 0..<paragraphs {
            var sentences: [String] = []
            for _ in 0..<Int.random(in: 1...12, using: &rng) {
                let count = Int.random(in: 3...25, using: &rng)
                var sentence = (0..<count).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
                sentence = sentence.prefix(1).uppercased() + sentence.dropFirst()
                sentences.append(sentence + [".", "!", "?", ".", "."].randomElement(using: &rng)!)
            }
            text.append(sentences.joined(separator: Bool.random(using: &rng) ? " " : "\n"))
        }
        return text.joined(separator: "\n\n")
    }

    static func chinese(seed: UInt64, sentences: Int) -> String {
        var rng = SplitMix64(seed: seed)
        let characters = Array("检索增强生成向量索引分块重叠模型搜索服务器工作进程嵌入延迟数据库文档查询结果中文没有空格")
        var text = ""
        for _ in 0..<sentences {
            for _ in 0..<Int.random(in: 8...40, using: &rng) { text.append(characters.randomElement(using: &rng)!) }
            text += ["。", "！", "？", "，", "。"].randomElement(using: &rng)!
        }
        return text
    }
}

/// Checks every promise `Chunker` makes about its output.
func checkInvariants(_ text: String, _ chunks: [TextChunk], size: Int, overlap: Int,
                     maxWord: Int = 0, sourceLocation: SourceLocation = #_sourceLocation) {
    let scalars = Array(text.unicodeScalars)
    let isSpace: (Unicode.Scalar) -> Bool = { $0.properties.isWhitespace }
    var covered = [Bool](repeating: false, count: scalars.count)
    var previous: TextChunk?
    for (index, chunk) in chunks.enumerated() {
        #expect(chunk.ordinal == index, sourceLocation: sourceLocation)
        #expect(chunk.end - chunk.start <= size, "chunk \(index) has \(chunk.end - chunk.start) > \(size)", sourceLocation: sourceLocation)
        #expect(chunk.end > chunk.start, sourceLocation: sourceLocation)
        #expect(Array(chunk.text.unicodeScalars) == Array(scalars[chunk.start..<chunk.end]), sourceLocation: sourceLocation)
        #expect(!isSpace(scalars[chunk.start]) && !isSpace(scalars[chunk.end - 1]), sourceLocation: sourceLocation)
        if let previous {
            #expect(chunk.start > previous.start && chunk.end > previous.end, sourceLocation: sourceLocation)
            if overlap == 0 { #expect(chunk.start >= previous.end, sourceLocation: sourceLocation) }
            #expect(previous.end - chunk.start <= overlap, sourceLocation: sourceLocation)
        }
        for i in chunk.start..<chunk.end { covered[i] = true }
        previous = chunk
    }
    for (i, scalar) in scalars.enumerated() where !isSpace(scalar) && !covered[i] {
        Issue.record("scalar \(i) is in no chunk", sourceLocation: sourceLocation)
        break
    }
    if maxWord > 0 && maxWord <= size {
        // No word is cut: every chunk starts and ends at white space or the text's edges.
        for chunk in chunks {
            #expect(chunk.start == 0 || isSpace(scalars[chunk.start - 1]), "chunk \(chunk.ordinal) starts mid-word", sourceLocation: sourceLocation)
            #expect(chunk.end == scalars.count || isSpace(scalars[chunk.end]), "chunk \(chunk.ordinal) ends mid-word", sourceLocation: sourceLocation)
        }
    }
}

@Suite struct ChunkerTests {
    @Test func rejectsUnusableSettings() {
        #expect(throws: TextError.self) { try Chunker(size: 0, overlap: 0) }
        #expect(throws: TextError.self) { try Chunker(size: 100, overlap: 51) }
        #expect(throws: TextError.self) { try Chunker(size: 100, overlap: -1) }
        #expect((try? Chunker())?.size == 800)
        #expect((try? Chunker())?.overlap == 120)
    }

    @Test func emptyAndShortTexts() throws {
        let chunker = try Chunker()
        #expect(chunker.chunks(of: "").isEmpty)
        #expect(chunker.chunks(of: " \n\n\t ").isEmpty)
        let one = chunker.chunks(of: "  Just one sentence.  ")
        #expect(one == [TextChunk(ordinal: 0, text: "Just one sentence.", start: 2, end: 20)])
    }

    @Test(arguments: [(800, 120), (200, 40), (100, 0), (64, 32), (30, 15), (500, 250)])
    func invariantsHoldOnGeneratedEnglish(size: Int, overlap: Int) throws {
        let chunker = try Chunker(size: size, overlap: overlap)
        for seed in UInt64(1)...12 {
            let text = SampleText.english(seed: seed, paragraphs: 1 + Int(seed % 9))
            let chunks = chunker.chunks(of: text)
            checkInvariants(text, chunks, size: size, overlap: overlap, maxWord: 12)
            #expect(chunker.chunks(of: text) == chunks, "not deterministic")
        }
    }

    @Test func prefersParagraphThenSentenceBoundaries() throws {
        let paragraph = String(repeating: "Word word word word word. ", count: 12).dropLast() // 311 characters
        let text = (0..<6).map { _ in String(paragraph) }.joined(separator: "\n\n")
        let chunks = try Chunker(size: 800, overlap: 0).chunks(of: text)
        let scalars = Array(text.unicodeScalars)
        for chunk in chunks.dropLast() {
            #expect(scalars[chunk.end] == "\n", "chunk \(chunk.ordinal) does not end at a paragraph")
        }
        // One long paragraph of sentences ends chunks after sentence marks.
        let long = String(repeating: "This sentence is about retrieval quality! ", count: 60)
        let sentenceChunks = try Chunker(size: 300, overlap: 50).chunks(of: long)
        #expect(sentenceChunks.count > 5)
        for chunk in sentenceChunks.dropLast() { #expect(chunk.text.hasSuffix("!")) }
        checkInvariants(long, sentenceChunks, size: 300, overlap: 50, maxWord: 10)
    }

    @Test func overlapRepeatsTheEndOfThePreviousChunk() throws {
        let text = SampleText.english(seed: 42, paragraphs: 1) + " " + SampleText.english(seed: 43, paragraphs: 1)
        let chunks = try Chunker(size: 120, overlap: 40).chunks(of: text)
        #expect(chunks.count > 3)
        var overlapping = 0
        for (previous, next) in zip(chunks, chunks.dropFirst()) where next.start < previous.end {
            overlapping += 1
            let shared = previous.end - next.start
            #expect(shared <= 40)
            #expect(previous.text.unicodeScalars.suffix(shared).elementsEqual(next.text.unicodeScalars.prefix(shared)))
        }
        #expect(overlapping >= chunks.count / 2, "overlap was applied to only \(overlapping) of \(chunks.count - 1) pairs")
    }

    @Test func overlapStartsAtASentenceWhenOneFits() throws {
        let sentences = (0..<40).map { "Sentence \($0) is short." }
        let text = sentences.joined(separator: " ")
        let chunks = try Chunker(size: 200, overlap: 60).chunks(of: text)
        checkInvariants(text, chunks, size: 200, overlap: 60, maxWord: 9)
        for chunk in chunks {
            #expect(chunk.text.hasPrefix("Sentence "), "chunk \(chunk.ordinal) starts mid-sentence: \(chunk.text.prefix(20))")
            #expect(chunk.text.hasSuffix("."))
        }
        #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $1.start < $0.end }, "every pair should overlap")
    }

    @Test func abbreviationsBeforeLowerCaseWordsDoNotEndSentences() throws {
        let text = "Use a store, e.g. PostgreSQL or Milvus, for vectors and text, i.e. the data and the index together now."
        let chunks = try Chunker(size: 60, overlap: 0).chunks(of: text)
        checkInvariants(text, chunks, size: 60, overlap: 0, maxWord: 12)
        #expect(!chunks.contains { $0.text.hasSuffix("i.e.") }, "\(chunks.map(\.text))")
    }

    @Test func chineseWithoutSpacesChunksAtSentenceMarksOrCharacters() throws {
        let text = SampleText.chinese(seed: 7, sentences: 300)
        let chunker = try Chunker(size: 200, overlap: 30)
        let chunks = chunker.chunks(of: text)
        checkInvariants(text, chunks, size: 200, overlap: 30)
        #expect(chunks.count >= text.unicodeScalars.count / 200)
        let marks: Set<Character> = ["。", "！", "？", "，"]
        let atMarks = chunks.dropLast().filter { marks.contains($0.text.last!) }.count
        #expect(atMarks == chunks.count - 1, "only \(atMarks) of \(chunks.count - 1) chunks end at punctuation")
        // No punctuation at all: still bounded, between characters, covering everything.
        let bare = String(repeating: "检索增强生成向量", count: 200)
        let bareChunks = chunker.chunks(of: bare)
        checkInvariants(bare, bareChunks, size: 200, overlap: 30)
        #expect(bareChunks.dropLast().allSatisfy { $0.end - $0.start == 200 })
        // Mixed scripts break at the spaces where there are some.
        let mixed = String(repeating: "Milvus 向量检索 and PostgreSQL 全文搜索。", count: 50)
        checkInvariants(mixed, chunker.chunks(of: mixed), size: 200, overlap: 30)
    }

    @Test func aWordLongerThanTheSizeIsCutOnGraphemeBoundaries() throws {
        let text = "short " + String(repeating: "x", count: 250) + " tail"
        let chunks = try Chunker(size: 100, overlap: 20).chunks(of: text)
        checkInvariants(text, chunks, size: 100, overlap: 20)
        #expect(chunks.first?.text == "short")
        // Emoji with a skin-tone modifier are two scalars each; an odd size must not split one.
        let emoji = String(repeating: "👍🏽", count: 100)
        let emojiChunks = try Chunker(size: 11, overlap: 0).chunks(of: emoji)
        checkInvariants(emoji, emojiChunks, size: 11, overlap: 0)
        for chunk in emojiChunks { #expect(chunk.text.unicodeScalars.count % 2 == 0, "cut inside a grapheme") }
    }

    @Test func whitespaceRunsAndTinySizesTerminate() throws {
        let text = "a" + String(repeating: " ", count: 5000) + "b" + String(repeating: "\n", count: 300) + "c d e"
        for (size, overlap) in [(1, 0), (2, 1), (10, 5), (100, 50)] {
            let chunks = try Chunker(size: size, overlap: overlap).chunks(of: text)
            checkInvariants(text, chunks, size: size, overlap: overlap)
            #expect(chunks.map(\.text).joined() .filter { !$0.isWhitespace }.contains("abc"))
        }
    }

    @Test func oneMegabyteIsFast() throws {
        var text = ""
        var seed: UInt64 = 100
        while text.utf8.count < 1 << 20 {
            text += SampleText.english(seed: seed, paragraphs: 20) + "\n\n" + SampleText.chinese(seed: seed, sentences: 20) + "\n\n"
            seed += 1
        }
        let normalized = TextNormalizer.normalize(text)
        let start = ContinuousClock.now
        let chunks = try Chunker().chunks(of: normalized)
        let elapsed = ContinuousClock.now - start
        checkInvariants(normalized, chunks, size: 800, overlap: 120)
        // Debug builds are slow; linear time is what matters, quadratic would take minutes.
        #expect(elapsed < .seconds(20), "chunking 1 MiB took \(elapsed)")
        print("chunked \(normalized.utf8.count) bytes into \(chunks.count) chunks in \(elapsed)")
    }
}
