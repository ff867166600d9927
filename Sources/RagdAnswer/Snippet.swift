import Foundation

/// Short previews of passage text for citations and extractive answers.
enum Snippet {
    /// At most `limit` characters of `text` with whitespace runs collapsed, cut at a word
    /// boundary and marked with `…` when shortened.
    static func of(_ text: String, limit: Int = 240) -> String {
        let words = text.split(whereSeparator: { $0.isWhitespace })
        var result = ""
        for word in words {
            let next = result.isEmpty ? String(word) : result + " " + word
            if next.count > limit {
                if result.isEmpty { return String(word.prefix(limit)) + "…" }
                return result + "…"
            }
            result = next
        }
        return result
    }

    /// The sentences of `text` (split after `.`, `!`, `?`, `。`, `！`, `？` or a line break),
    /// trimmed, empty ones dropped.
    static func sentences(_ text: String) -> [String] {
        var sentences: [String] = []
        var current = ""
        for character in text {
            if character == "\n" {
                sentences.append(current)
                current = ""
                continue
            }
            current.append(character)
            if ".!?。！？".contains(character) {
                sentences.append(current)
                current = ""
            }
        }
        sentences.append(current)
        return sentences.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// Lower-cased words of `text` (letters and digits), for overlap scoring.
    static func words(_ text: String) -> Set<String> {
        Set(text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
    }
}
