/// English words too common to tell passages apart ("the", "how", "do", "is"), left out of
/// the keyword index and of queries. They would add nothing to a BM25 score (their inverse
/// document frequency is near zero) but make up a third of running text, so dropping them
/// keeps the postings small and a question such as "how do I ..." cheap to look up.
/// The list is the classic English stop list of the Snowball project, plus the
/// fragments that splitting contractions on the apostrophe leaves ("s", "t", "ll", "re", "ve").
enum EnglishStopWords {
    static func contains(_ word: String) -> Bool {
        words.contains(word)
    }

    static let words: Set<String> = [
        "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at",
        "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
        "can", "could", "d", "did", "do", "does", "doing", "don", "down", "during",
        "each", "few", "for", "from", "further",
        "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how",
        "i", "if", "in", "into", "is", "it", "its", "itself",
        "just", "ll", "m", "me", "more", "most", "my", "myself",
        "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "ought", "our", "ours",
        "ourselves", "out", "over", "own",
        "re", "s", "same", "she", "should", "so", "some", "such",
        "t", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they",
        "this", "those", "through", "to", "too",
        "under", "until", "up", "ve", "very",
        "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
        "would", "you", "your", "yours", "yourself", "yourselves",
    ]
}
