@testable import RagdPipeline
import RagdStore
import RagdText
import Testing

@Suite struct KeywordTermsTests {
    /// Each chunk is indexed with the title in front; the document's section holds the
    /// title once and every chunk's own text, and its title holds the title alone.
    @Test func sectionCountsTheTitleOnceAndEveryChunk() {
        let terms = KeywordTerms.of([(id: "c1", text: "rotate logs"), (id: "c2", text: "logs weekly")], title: "Log rotation")
        let title = SearchTokenizer.termFrequencies("Log rotation")
        #expect(terms.title == TermCounts(counts: title.counts, length: title.length))
        #expect(terms.chunks.map(\.chunkID) == ["c1", "c2"])
        let body = SearchTokenizer.termFrequencies("rotate logs logs weekly")
        #expect(terms.section.length == title.length + body.length)
        #expect(terms.section.counts == title.counts.merging(body.counts, uniquingKeysWith: +))
        let first = SearchTokenizer.termFrequencies("rotate logs")
        #expect(terms.chunks[0].counts == first.counts.merging(title.counts, uniquingKeysWith: +))
        #expect(terms.chunks[0].length == first.length + title.length)
    }
}
