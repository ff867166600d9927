/// Markdown stays as it is: its syntax is light enough to read, and headings, lists and
/// code keep meaning that stripping would lose. Only a title is suggested.
public enum MarkdownText {
    /// The document's title: `title:` in a leading YAML front-matter block, else the first
    /// level-1 heading (`# Title`, or `Title` underlined with `===`) outside fenced code
    /// blocks; nil when there is none. Closing `#`s and surrounding spaces are removed.
    public static func suggestedTitle(_ markdown: String) -> String? {
        var lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)[...]
        if let first = lines.first, trimmed(first) == "---" {
            lines = lines.dropFirst()
            while let line = lines.first {
                lines = lines.dropFirst()
                let text = trimmed(line)
                if text == "---" || text == "..." { break }
                if text.hasPrefix("title:") {
                    var value = trimmed(text.dropFirst("title:".count))
                    if value.count >= 2, let q = value.first, (q == "\"" || q == "'"), value.last == q {
                        value = value.dropFirst().dropLast()
                    }
                    if !value.isEmpty { return String(value) }
                }
            }
        }
        var fence: Substring?
        var previous: Substring?
        for line in lines {
            let text = trimmed(line)
            if let open = fence {
                if text.hasPrefix(open) { fence = nil }
                previous = nil
                continue
            }
            if text.hasPrefix("```") || text.hasPrefix("~~~") {
                fence = text.prefix(3)
                previous = nil
                continue
            }
            let indent = line.prefix(while: { $0 == " " }).count
            if indent < 4 {
                if text == "#" { previous = nil; continue }
                if text.hasPrefix("# ") || text.hasPrefix("#\t") {
                    var heading = trimmed(text.dropFirst(2))
                    // An optional closing sequence of #s, preceded by a space.
                    let withoutHashes = heading.reversed().drop(while: { $0 == "#" })
                    if withoutHashes.first == " " || withoutHashes.isEmpty {
                        heading = trimmed(Substring(String(withoutHashes.reversed())))
                    }
                    if !heading.isEmpty { return String(heading) }
                }
                if let above = previous, !text.isEmpty, text.allSatisfy({ $0 == "=" }) {
                    return String(above)
                }
            }
            previous = text.isEmpty || indent >= 4 ? nil : text
        }
        return nil
    }

    private static func trimmed(_ text: Substring) -> Substring {
        var result = text
        while let first = result.first, first == " " || first == "\t" || first == "\r" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result = result.dropLast() }
        return result
    }
}
