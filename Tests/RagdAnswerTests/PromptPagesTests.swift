import RagdAnswer
import RagdPipeline
import RagdStore
import Testing

@Suite("Pages in prompts and citations")
struct PromptPagesTests {
    @Test func pdfPassagesNameTheirPagesOthersDoNot() {
        var onOnePage = passage(1, title: "Handbook", "Storm surges are announced by the harbour master.")
        onOnePage.hit.pages = PageRange(start: 12, end: 12)
        var acrossTwo = passage(2, title: "Handbook", "The table of gauges continues overleaf.")
        acrossTwo.hit.pages = PageRange(start: 3, end: 4)
        let plain = passage(3, title: "Notes", "No pages here.")
        let prompt = PromptBuilder().messages(question: "When?", passages: [onOnePage, acrossTwo, plain], history: []).last?.content ?? ""
        #expect(prompt.contains("[1] Handbook (page 12)\nStorm surges"))
        #expect(prompt.contains("[2] Handbook (pages 3-4)\nThe table"))
        #expect(prompt.contains("[3] Notes\nNo pages here."))
        #expect(Citation(onOnePage).pageStart == 12 && Citation(onOnePage).pageEnd == 12)
        #expect(Citation(plain).pageStart == nil && Citation(plain).pageEnd == nil)
    }
}
