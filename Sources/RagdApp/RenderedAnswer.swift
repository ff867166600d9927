import Foundation
import RagdAnswer
import RagdCore

/// An answer with its parts already as JSON text: what a response, the `done` event and
/// the answer cache are made of. The cache stores these texts, so a hit answers with the
/// same bytes as the miss that filled it.
struct RenderedAnswer {
    var text: String
    var mode: String
    var citationsJSON: String
    var promptTokens: Int
    var completionTokens: Int
    var sourcesJSON: String
    var reranked: Bool
    /// "stop", or the model's reason for ending early ("length").
    var finishReason: String

    init(generation: Generation, mode: AnswerMode, passages: [Passage], reranked: Bool) {
        text = generation.text
        self.mode = mode.rawValue
        citationsJSON = "[" + generation.citations.map(Self.citationJSON).joined(separator: ",") + "]"
        promptTokens = generation.usage.promptTokens
        completionTokens = generation.usage.completionTokens
        sourcesJSON = Self.sourcesJSON(passages)
        self.reranked = reranked
        finishReason = generation.finishReason
    }

    /// `{prompt_tokens, completion_tokens}`, as `/v1/query` reports usage.
    var usageJSON: String {
        JSONText.object([("prompt_tokens", String(promptTokens)), ("completion_tokens", String(completionTokens))])
    }

    /// Every passage given to the model, numbered as the answer cites them.
    static func sourcesJSON(_ passages: [Passage]) -> String {
        "[" + passages.map { citationJSON(Citation($0)) }.joined(separator: ",") + "]"
    }

    static func citationJSON(_ citation: Citation) -> String {
        JSONText.object([
            ("n", String(citation.number)),
            ("chunk_id", JSONText.quoted(citation.chunkID)),
            ("document_id", JSONText.quoted(citation.documentID)),
            ("title", JSONText.quoted(citation.title)),
            ("snippet", JSONText.quoted(citation.snippet)),
            ("score", String(citation.score)),
            ("page_start", citation.pageStart.map(String.init) ?? "null"),
            ("page_end", citation.pageEnd.map(String.init) ?? "null"),
        ])
    }

    /// The `/v1/query` JSON body.
    func bodyJSON(timings: String) -> String {
        JSONText.object([("answer", JSONText.quoted(text))] + summary(timings: timings))
    }

    /// The `done` event's data: everything but the text, which the deltas carried.
    func doneJSON(timings: String) -> String {
        JSONText.object(summary(timings: timings))
    }

    private func summary(timings: String) -> [(String, String)] {
        [("citations", citationsJSON), ("mode", JSONText.quoted(mode)), ("usage", usageJSON),
         ("timings", timings), ("reranked", reranked ? "true" : "false")]
    }

    // MARK: cache form

    var cacheBytes: [UInt8] {
        Array(JSONText.object([
            ("text", JSONText.quoted(text)), ("mode", JSONText.quoted(mode)),
            ("citations", JSONText.quoted(citationsJSON)), ("prompt_tokens", String(promptTokens)),
            ("completion_tokens", String(completionTokens)), ("sources", JSONText.quoted(sourcesJSON)),
            ("reranked", reranked ? "true" : "false"), ("finish_reason", JSONText.quoted(finishReason)),
        ]).utf8)
    }

    /// Nil for bytes that are not a cache entry of this shape (then the cache misses).
    init?(cacheBytes: [UInt8]) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(cacheBytes))) as? [String: Any],
              let text = object["text"] as? String, let mode = object["mode"] as? String,
              let citations = object["citations"] as? String, let promptTokens = object["prompt_tokens"] as? Int,
              let completionTokens = object["completion_tokens"] as? Int, let sources = object["sources"] as? String,
              let reranked = object["reranked"] as? Bool, let finishReason = object["finish_reason"] as? String else { return nil }
        self.text = text
        self.mode = mode
        citationsJSON = citations
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        sourcesJSON = sources
        self.reranked = reranked
        self.finishReason = finishReason
    }
}
