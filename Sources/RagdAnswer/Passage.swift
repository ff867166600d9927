import RagdPipeline

/// A retrieved passage as the answer uses it: numbered from 1 in the order the prompt
/// lists it, with the score that ordered it (the reranker's, or the fused RRF score).
public struct Passage: Sendable, Equatable {
    public var number: Int
    public var hit: SearchHit
    public var score: Double

    public init(number: Int, hit: SearchHit, score: Double) {
        self.number = number
        self.hit = hit
        self.score = score
    }
}

/// A passage the answer cites: what `citations` and the `sources` event show.
public struct Citation: Sendable, Equatable {
    public var number: Int
    public var chunkID: String
    public var documentID: String
    public var title: String
    public var snippet: String
    public var score: Double
    /// The PDF pages the passage came from (first, last); nil for other formats.
    public var pageStart: Int?
    public var pageEnd: Int?

    public init(_ passage: Passage) {
        pageStart = passage.hit.pages?.start
        pageEnd = passage.hit.pages?.end
        number = passage.number
        chunkID = passage.hit.chunkID
        documentID = passage.hit.documentID
        title = passage.hit.title
        snippet = Snippet.of(passage.hit.text)
        score = passage.score
    }
}

/// How an answer was made.
public enum AnswerMode: String, Sendable {
    /// Written by the LLM from the passages.
    case llm
    /// The best passages' most relevant sentences, without an LLM (no `LLM_API_KEY`).
    case extractive
}
