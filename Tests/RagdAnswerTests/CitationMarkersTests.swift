import RagdAnswer
import Testing

@Suite("Citation markers")
struct CitationMarkersTests {
    @Test(arguments: [
        ("Cats purr [1].", 3, [1]),
        ("First [2], then [1][3], again [2].", 3, [2, 1, 3]),
        ("Both [1, 2] and [3,1].", 3, [1, 2, 3]),
        ("Made up [7] and real [2].", 3, [2]),
        ("Zero [0] is no passage.", 3, []),
        ("Not citations: [a] [1.5] [] [ ] [1;2] [12345] [-1]", 3, []),
        ("A link [text](https://x) and [1]", 1, [1]),
        ("Unclosed [1", 3, []),
        ("No passages at all [1].", 0, []),
        ("全角 [1]。", 1, [1]),
    ])
    func cited(text: String, passages: Int, expected: [Int]) {
        #expect(CitationMarkers.cited(in: text, passageCount: passages) == expected)
    }
}
