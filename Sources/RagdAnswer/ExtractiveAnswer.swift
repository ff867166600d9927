/// An answer without an LLM: from each of the best passages, the sentence sharing the most
/// words with the question (and the one after it, if short), marked with the passage's
/// number, so the product answers, with citations, when no LLM is configured.
public enum ExtractiveAnswer {
    /// Passages used, best first. Default 3.
    public static let passagesUsed = 3

    /// The answer text; every passage it quotes is cited as `[n]`. Empty passages give
    /// a fixed "nothing found" sentence with no citations.
    public static func compose(question: String, passages: [Passage]) -> String {
        let questionWords = Snippet.words(question)
        let parts = passages.prefix(passagesUsed).compactMap { passage -> String? in
            let sentences = Snippet.sentences(passage.hit.text)
            guard !sentences.isEmpty else { return nil }
            var best = 0, bestOverlap = -1
            for (index, sentence) in sentences.enumerated() {
                let overlap = Snippet.words(sentence).intersection(questionWords).count
                if overlap > bestOverlap { (best, bestOverlap) = (index, overlap) }
            }
            var quote = sentences[best]
            if quote.count < 120, best + 1 < sentences.count { quote += " " + sentences[best + 1] }
            return Snippet.of(quote, limit: 400) + " [\(passage.number)]"
        }
        if parts.isEmpty { return noPassages }
        return parts.joined(separator: "\n\n")
    }

    /// The answer when nothing was found.
    public static let noPassages = "No passage in your documents matches this question."
}
