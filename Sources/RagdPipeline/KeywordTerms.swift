import RagdStore
import RagdText

/// Chunks to keyword-index entries, through the one tokenizer queries also use.
///
/// Each chunk is indexed with its document's title in front: a chunk deep inside a page
/// rarely repeats what the page is about ("os.path — Common pathname manipulations",
/// "6.3.3 ssh 的基础"), and a question usually names exactly that.
enum KeywordTerms {
    /// The chunks' entries, and the document's own: its title, and its whole section
    /// (the title once plus every chunk's text) for the document-level rankings.
    static func of(_ chunks: [(id: String, text: String)], title: String) -> DocumentTerms {
        let (titleCounts, titleLength) = SearchTokenizer.termFrequencies(title)
        var section = TermCounts(counts: titleCounts, length: titleLength)
        let chunkTerms = chunks.map { chunk in
            var (counts, length) = SearchTokenizer.termFrequencies(chunk.text)
            section.counts.merge(counts, uniquingKeysWith: +)
            section.length += length
            counts.merge(titleCounts, uniquingKeysWith: +)
            length += titleLength
            return ChunkTerms(chunkID: chunk.id, counts: counts, length: length)
        }
        return DocumentTerms(chunks: chunkTerms, title: TermCounts(counts: titleCounts, length: titleLength), section: section)
    }
}
