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
    var usageJSON: String
    var sourcesJSON: String
    var reranked: Bool

    init(generation: Generation, mode: AnswerMode, passages: [Passage], reranked: Bool) {
        text = generation.text
        self.mode = mode.rawValue
        citationsJSON = "[" + generation.citations.map(Self.citationJSON).joined(separator: ",") + "]"
        usageJSON = JSONText.object([("prompt_tokens", String(generation.usage.promptTokens)),
                                     ("completion_tokens", String(generation.usage.completionTokens))])
        sourcesJSON = Self.sourcesJSON(passages)
        self.reranked = reranked
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
            ("citations", JSONText.quoted(citationsJSON)), ("usage", JSONText.quoted(usageJSON)),
            ("sources", JSONText.quoted(sourcesJSON)), ("reranked", reranked ? "true" : "false"),
        ]).utf8)
    }

    /// Nil for bytes that are not a cache entry of this shape (then the cache misses).
    init?(cacheBytes: [UInt8]) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(cacheBytes))) as? [String: Any],
              let text = object["text"] as? String, let mode = object["mode"] as? String,
              let citations = object["citations"] as? String, let usage = object["usage"] as? String,
              let sources = object["sources"] as? String, let reranked = object["reranked"] as? Bool else { return nil }
        self.text = text
        self.mode = mode
        citationsJSON = citations
        usageJSON = usage
        sourcesJSON = sources
        self.reranked = reranked
    }
}
