import RagdStore
import RagdText

/// Chunks to keyword-index entries, through the one tokenizer queries also use.
enum KeywordTerms {
    static func of(_ chunks: [(id: String, text: String)]) -> [ChunkTerms] {
        chunks.map { chunk in
            let (counts, length) = SearchTokenizer.termFrequencies(chunk.text)
            return ChunkTerms(chunkID: chunk.id, counts: counts, length: length)
        }
    }
}
