import RagdAnswer
import RagdLLM
import RagdPipeline
import Testing

func passage(_ number: Int, title: String = "Doc", _ text: String) -> Passage {
    Passage(number: number, hit: SearchHit(chunkID: "c\(number)", documentID: "d\(number)", title: title, source: nil,
                                           ordinal: 0, text: text, score: 1.0 / Double(number), vectorRank: number,
                                           keywordRank: nil), score: 1.0 / Double(number))
}

@Suite("Extractive answers")
struct ExtractiveAnswerTests {
    @Test func quotesTheMostRelevantSentenceOfEachBestPassageWithItsNumber() {
        let passages = [
            passage(1, "Cats sleep a lot. A cat's whiskers sense tiny movements of air at night. They purr."),
            passage(2, "Rust has no garbage collector. The borrow checker prevents data races."),
            passage(3, "Go has a race detector."),
            passage(4, "This fourth passage is never quoted."),
        ]
        let answer = ExtractiveAnswer.compose(question: "What do whiskers sense?", passages: passages)
        let parts = answer.components(separatedBy: "\n\n")
        #expect(parts.count == 3)
        #expect(parts[0].hasPrefix("A cat's whiskers sense tiny movements of air at night.") && parts[0].hasSuffix("[1]"))
        #expect(parts[1].hasSuffix("[2]") && parts[2].hasSuffix("[3]"))
        #expect(!answer.contains("fourth"))
        #expect(CitationMarkers.cited(in: answer, passageCount: passages.count) == [1, 2, 3])
    }

    @Test func nothingFoundSaysSo() {
        #expect(ExtractiveAnswer.compose(question: "Anything?", passages: []) == ExtractiveAnswer.noPassages)
        #expect(CitationMarkers.cited(in: ExtractiveAnswer.noPassages, passageCount: 0).isEmpty)
    }

    @Test func longSentencesAreCut() {
        let long = String(repeating: "word ", count: 300) + "end."
        let answer = ExtractiveAnswer.compose(question: "word", passages: [passage(1, long)])
        #expect(answer.count < 420)
        #expect(answer.hasSuffix("… [1]"))
    }
}

@Suite("Prompt")
struct PromptBuilderTests {
    @Test func instructionsHistoryThenNumberedPassagesAndTheQuestion() {
        let history = [ChatMessage(role: "user", content: "Hi"), ChatMessage(role: "assistant", content: "Hello")]
        let messages = PromptBuilder().messages(question: "How do cats hunt?",
                                                passages: [passage(1, title: "Cats", "Whiskers sense air."),
                                                           passage(2, title: "Dogs", "Dogs bark.")],
                                                history: history)
        #expect(messages.map(\.role) == ["system", "user", "assistant", "user"])
        #expect(messages[0].content == PromptBuilder.instructions)
        let last = messages[3].content
        #expect(last.contains("[1] Cats\nWhiskers sense air.\n\n[2] Dogs\nDogs bark."))
        #expect(last.hasSuffix("Question: How do cats hunt?"))
    }

    @Test func passagesAndHistoryAreBounded() {
        var builder = PromptBuilder()
        builder.passageCharacters = 10
        builder.totalPassageCharacters = 15
        builder.historyTurns = 2
        let history = (0..<5).map { ChatMessage(role: $0 % 2 == 0 ? "user" : "assistant", content: "turn \($0)") }
        let messages = builder.messages(question: "q", passages: [passage(1, String(repeating: "a", count: 50)),
                                                                  passage(2, String(repeating: "b", count: 50)),
                                                                  passage(3, "never shown")],
                                        history: history)
        #expect(messages.map(\.content).dropFirst().dropLast() == ["turn 3", "turn 4"])
        let sources = messages.last!.content
        #expect(sources.contains("[1] Doc\n" + String(repeating: "a", count: 10) + "\n"))
        #expect(sources.contains("[2] Doc\n" + String(repeating: "b", count: 5) + "\n"))
        #expect(!sources.contains("never shown"))
    }

    @Test func noPassagesIsSaid() {
        let messages = PromptBuilder().messages(question: "q", passages: [], history: [])
        #expect(messages.last!.content.contains("(no sources found)"))
    }
}
