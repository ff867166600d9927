import RagdStore
import RagdText

/// Chunks to keyword-index entries, through the one tokenizer queries also use.
///
/// Each chunk is indexed with its document's title in front: a chunk deep inside a page
/// rarely repeats what the page is about ("os.path — Common pathname manipulations",
/// "6.3.3 ssh 的基础"), and a question usually names exactly that.
enum KeywordTerms {
    static func of(_ chunks: [(id: String, text: String)], title: String) -> [ChunkTerms] {
        let (titleCounts, titleLength) = SearchTokenizer.termFrequencies(title)
        return chunks.map { chunk in
            var (counts, length) = SearchTokenizer.termFrequencies(chunk.text)
            counts.merge(titleCounts, uniquingKeysWith: +)
            length += titleLength
            return ChunkTerms(chunkID: chunk.id, counts: counts, length: length)
        }
    }
}
