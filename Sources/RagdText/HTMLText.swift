/// Plain text and a title taken from an HTML document.
public struct HTMLExtraction: Sendable, Equatable {
    /// The readable text: blocks separated by blank lines, list items and table rows on
    /// their own lines, whitespace collapsed as a browser would. Not yet normalized (see
    /// `TextNormalizer`).
    public var text: String
    /// The `<title>`, or else the first `<h1>`, with whitespace collapsed; nil if neither
    /// has text.
    public var title: String?

    /// Creates an extraction result.
    public init(text: String, title: String?) {
        self.text = text
        self.title = title
    }
}

/// HTML to text in one forward pass over the bytes: linear time whatever the input, no
/// regular expressions, no DOM, and no failure mode: malformed markup (unclosed tags and
/// comments, a bare `<` in text, stray end tags) degrades the way browsers degrade it.
///
/// Dropped with their content: `<head>` (except the title), `<script>`, `<style>`,
/// `<noscript>`, `<template>`, `<svg>`, `<math>`, `<iframe>`, `<object>`, `<canvas>`,
/// comments, doctypes and processing instructions. Block elements (`p`, `div`, `h1`-`h6`,
/// `section`, `article`, `pre`, `table`, ...) become paragraph breaks; `br`, `li`, `tr`,
/// `dt`, `dd` line breaks (list items get a "- " marker, table cells a tab). `<pre>` keeps
/// its whitespace. Character references are decoded (`&amp;`, `&#233;`, `&#xE9;`, and the
/// common named ones); `&nbsp;` becomes a plain space.
public enum HTMLText {
    /// Extracts the text and the suggested title of `html`.
    public static func extract(_ html: String) -> HTMLExtraction {
        var bytes = Array(html.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer in
            var extractor = HTMLTextExtractor(UnsafeBufferPointer(buffer))
            return extractor.run()
        }
    }
}

// MARK: - Element classes

extension HTMLText {
    /// Elements whose start and end both separate paragraphs.
    static let paragraphElements: Set<String> = [
        "address", "article", "aside", "blockquote", "body", "caption", "center", "details", "dialog", "dir",
        "div", "dl", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hgroup", "hr", "html", "legend", "main", "menu", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "tfoot", "thead", "ul",
    ]
    /// Elements that start a new line.
    static let lineElements: Set<String> = ["br", "dd", "dt", "li", "tr", "option"]
    /// Elements dropped with everything inside them; their content is still tokenized.
    static let droppedElements: Set<String> = ["head", "noscript", "template", "svg", "math", "object", "canvas", "select"]
    /// Elements whose content is raw text up to the matching end tag (no tags inside).
    static let rawTextElements: Set<String> = ["script", "style", "iframe", "xmp", "noembed", "noframes", "title", "textarea"]
    /// What may appear in `<head>`; any other start tag means the body has begun, so a
    /// missing `</head>` cannot swallow the document.
    static let headElements: Set<String> = ["title", "meta", "link", "style", "script", "base", "noscript", "template"]
    /// Void elements never have content or an end tag.
    static let voidElements: Set<String> = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                                            "meta", "source", "track", "wbr"]
}

// MARK: - The pass

/// The state of one extraction. Works on UTF-8 bytes: every byte HTML syntax cares about
/// is ASCII, and UTF-8 never uses ASCII values inside multi-byte sequences.
struct HTMLTextExtractor {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var output: [UInt8] = []
    /// Line breaks owed before the next visible text: 0, 1 (new line) or 2 (new paragraph).
    private var pendingBreak = 0
    /// A separator owed before the next visible text on the same line: 0, space or tab.
    private var pendingSeparator: UInt8 = 0
    /// Written after the pending breaks, before the next text (a list marker).
    private var pendingPrefix: [UInt8] = []
    /// Open dropped elements, innermost last; text is discarded while it is not empty.
    private var dropped: [String] = []
    private var preDepth = 0
    private var title: String?
    private var h1Start: Int?
    private var firstH1: String?

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        output.reserveCapacity(bytes.count / 2)
    }

    mutating func run() -> HTMLExtraction {
        let count = bytes.count
        var i = 0
        var textStart = 0
        while i < count {
            guard bytes[i] == UInt8(ascii: "<") else {
                i += 1
                continue
            }
            if i > textStart { emitText(textStart, i) }
            i = markup(at: i)
            textStart = i
        }
        if textStart < count { emitText(textStart, count) }
        let text = String(decoding: output, as: UTF8.self)
        let suggested = title.flatMap { $0.isEmpty ? nil : $0 } ?? firstH1.flatMap { $0.isEmpty ? nil : $0 }
        return HTMLExtraction(text: text, title: suggested)
    }

    // MARK: Markup

    /// Consumes the markup (or literal `<`) at `start` and returns where text resumes.
    private mutating func markup(at start: Int) -> Int {
        let count = bytes.count
        let next = start + 1 < count ? bytes[start + 1] : 0
        if next == UInt8(ascii: "!") {
            if matches(start + 2, "--") { return skipComment(from: start + 4) }
            return skip(past: UInt8(ascii: ">"), from: start + 2) // doctype, CDATA: bogus comment
        }
        if next == UInt8(ascii: "?") { return skip(past: UInt8(ascii: ">"), from: start + 2) }
        if next == UInt8(ascii: "/") {
            let after = start + 2 < count ? bytes[start + 2] : 0
            if isLetter(after) {
                let (name, nameEnd) = readName(from: start + 2)
                let end = skipTagRest(from: nameEnd).end
                endTag(name)
                return end
            }
            if after == UInt8(ascii: ">") { return start + 3 } // `</>` is ignored
            return skip(past: UInt8(ascii: ">"), from: start + 2)
        }
        if isLetter(next) {
            let (name, nameEnd) = readName(from: start + 1)
            let (end, selfClosing) = skipTagRest(from: nameEnd)
            return startTag(name, selfClosing: selfClosing, contentStart: end)
        }
        // A `<` that starts no tag ("a < b") is text.
        emitText(start, start + 1)
        return start + 1
    }

    private mutating func startTag(_ name: String, selfClosing: Bool, contentStart: Int) -> Int {
        if dropped.last == "head" && !HTMLText.headElements.contains(name) {
            dropped.removeLast() // the body started without `</head>`
        }
        if HTMLText.rawTextElements.contains(name) {
            let (contentEnd, resume) = rawTextEnd(name, from: contentStart)
            if name == "title" {
                if title == nil && dropped.allSatisfy({ $0 == "head" }) {
                    title = collapsed(contentStart, contentEnd)
                }
            } else if name == "textarea" && dropped.isEmpty {
                emitText(contentStart, contentEnd)
            }
            return resume
        }
        if HTMLText.droppedElements.contains(name) {
            if !selfClosing && !HTMLText.voidElements.contains(name) { dropped.append(name) }
            return contentStart
        }
        guard dropped.isEmpty else { return contentStart }
        block(name, isStart: true)
        return contentStart
    }

    private mutating func endTag(_ name: String) {
        if let index = dropped.lastIndex(of: name) {
            dropped.removeSubrange(index...)
            return
        }
        if name == "body" || name == "html" {
            dropped.removeAll() // an unclosed <svg> must not hide the rest of the page
        }
        guard dropped.isEmpty else { return }
        block(name, isStart: false)
    }

    /// Line and paragraph breaks for block elements; `pre` and `h1` bookkeeping.
    private mutating func block(_ name: String, isStart: Bool) {
        if name == "pre" { preDepth = max(0, preDepth + (isStart ? 1 : -1)) }
        if name == "h1" {
            if isStart {
                if firstH1 == nil { breakParagraph(); h1Start = output.count }
            } else if let from = h1Start {
                breakParagraph()
                firstH1 = collapsedOutput(from: from)
                h1Start = nil
            }
        }
        if HTMLText.paragraphElements.contains(name) {
            breakParagraph()
        } else if name == "br" {
            pendingBreak = min(2, pendingBreak + 1)
            pendingSeparator = 0
        } else if HTMLText.lineElements.contains(name) {
            pendingBreak = max(pendingBreak, 1)
            pendingSeparator = 0
            if name == "li" { pendingPrefix = isStart ? Array("- ".utf8) : [] }
        } else if (name == "td" || name == "th") && isStart {
            if pendingBreak == 0 && !output.isEmpty && output.last != 10 { pendingSeparator = 9 }
        } else if !isStart && (name == "td" || name == "th") {
            pendingSeparator = max(pendingSeparator, 32)
        }
    }

    private mutating func breakParagraph() {
        pendingBreak = 2
        pendingSeparator = 0
        pendingPrefix = []
    }

    // MARK: Text

    /// Writes `bytes[from..<to]` as text: entities decoded, whitespace collapsed outside
    /// `<pre>`, nothing while inside a dropped element.
    private mutating func emitText(_ from: Int, _ to: Int) {
        guard dropped.isEmpty else { return }
        var i = from
        while i < to {
            let b = bytes[i]
            if b == UInt8(ascii: "&"), let (scalar, length) = HTMLEntities.decode(UnsafeBufferPointer(rebasing: bytes[..<to]), at: i) {
                if scalar == "\u{A0}" {
                    whitespace(32)
                } else {
                    var encoded: [UInt8] = []
                    UTF8.encode(scalar) { encoded.append($0) }
                    visible(encoded)
                }
                i += length
                continue
            }
            if b == 32 || b == 9 || b == 10 || b == 13 || b == 12 {
                whitespace(b)
                i += 1
                continue
            }
            // A run of ordinary bytes goes out in one piece.
            var end = i + 1
            while end < to {
                let c = bytes[end]
                if c == UInt8(ascii: "&") || c == 32 || c == 9 || c == 10 || c == 13 || c == 12 { break }
                end += 1
            }
            visible(UnsafeBufferPointer(rebasing: bytes[i..<end]))
            i = end
        }
    }

    private mutating func whitespace(_ byte: UInt8) {
        if preDepth > 0 {
            flushPending()
            output.append(byte)
        } else if pendingBreak == 0 && pendingSeparator == 0 {
            pendingSeparator = 32
        }
    }

    private mutating func visible(_ text: some Collection<UInt8>) {
        flushPending()
        output.append(contentsOf: text)
    }

    private mutating func flushPending() {
        if pendingBreak > 0 {
            if !output.isEmpty {
                // Breaks already written (by a <pre>) count towards the owed ones.
                var have = 0
                while have < output.count && output[output.count - 1 - have] == 10 && have < pendingBreak { have += 1 }
                for _ in have..<pendingBreak { output.append(10) }
            }
            pendingBreak = 0
            pendingSeparator = 0
        } else if pendingSeparator != 0 {
            if !output.isEmpty && output.last != 10 { output.append(pendingSeparator) }
            pendingSeparator = 0
        }
        if !pendingPrefix.isEmpty {
            output.append(contentsOf: pendingPrefix)
            pendingPrefix = []
        }
    }

    // MARK: Scanning

    /// Past the comment ending at `-->` (or `<!-->`, `<!--->`); an unterminated comment
    /// runs to the end, as in browsers.
    private func skipComment(from start: Int) -> Int {
        let count = bytes.count
        if start < count && bytes[start] == UInt8(ascii: ">") { return start + 1 }
        if matches(start, "->") { return start + 2 }
        var i = start
        while i + 2 < count {
            if bytes[i] == UInt8(ascii: "-") && bytes[i + 1] == UInt8(ascii: "-") && bytes[i + 2] == UInt8(ascii: ">") {
                return i + 3
            }
            i += 1
        }
        return count
    }

    private func skip(past byte: UInt8, from start: Int) -> Int {
        var i = start
        while i < bytes.count {
            if bytes[i] == byte { return i + 1 }
            i += 1
        }
        return bytes.count
    }

    /// A tag name, lower-cased (ASCII only, as HTML names are).
    private func readName(from start: Int) -> (String, Int) {
        var i = start
        var name: [UInt8] = []
        while i < bytes.count {
            let b = bytes[i]
            if b == 32 || b == 9 || b == 10 || b == 13 || b == 12 || b == UInt8(ascii: "/") || b == UInt8(ascii: ">") { break }
            if name.count < 32 { name.append(b >= 65 && b <= 90 ? b | 0x20 : b) }
            i += 1
        }
        return (String(decoding: name, as: UTF8.self), i)
    }

    /// Past the attributes to the closing `>`, honouring quoted values (a `>` inside
    /// quotes does not end the tag). Returns the end and whether the tag ended in `/>`.
    /// A tag cut off by the end of input ends there (and is dropped, as browsers do).
    private func skipTagRest(from start: Int) -> (end: Int, selfClosing: Bool) {
        let count = bytes.count
        var i = start
        var last: UInt8 = 0
        while i < count {
            let b = bytes[i]
            if b == UInt8(ascii: ">") { return (i + 1, last == UInt8(ascii: "/")) }
            if (b == UInt8(ascii: "\"") || b == UInt8(ascii: "'")) && last == UInt8(ascii: "=") {
                i += 1
                while i < count && bytes[i] != b { i += 1 }
                last = b
                i += 1
                continue
            }
            if b != 32 && b != 9 && b != 10 && b != 13 && b != 12 { last = b }
            i += 1
        }
        return (count, false)
    }

    /// Where the raw text of `name` ends (the `<` of `</name`) and where parsing resumes.
    private func rawTextEnd(_ name: String, from start: Int) -> (contentEnd: Int, resume: Int) {
        let count = bytes.count
        let nameBytes = Array(name.utf8)
        var i = start
        while i + 1 < count {
            if bytes[i] == UInt8(ascii: "<") && bytes[i + 1] == UInt8(ascii: "/") {
                var k = 0
                while k < nameBytes.count && i + 2 + k < count && (bytes[i + 2 + k] | 0x20) == nameBytes[k] { k += 1 }
                let after = i + 2 + k
                if k == nameBytes.count {
                    let b = after < count ? bytes[after] : UInt8(ascii: ">")
                    if b == UInt8(ascii: ">") || b == UInt8(ascii: "/") || b == 32 || b == 9 || b == 10 || b == 13 || b == 12 {
                        return (i, skip(past: UInt8(ascii: ">"), from: after))
                    }
                }
            }
            i += 1
        }
        return (count, count)
    }

    private func matches(_ start: Int, _ literal: StaticString) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard start + length <= bytes.count else { return false }
        let pointer = literal.utf8Start
        for k in 0..<length where bytes[start + k] != pointer[k] { return false }
        return true
    }

    private func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }

    /// Text between `from` and `to` with entities decoded and whitespace collapsed (for the title).
    private func collapsed(_ from: Int, _ to: Int) -> String {
        var scratch = HTMLTextExtractor(UnsafeBufferPointer(rebasing: bytes[..<to]))
        scratch.emitText(from, to)
        return String(decoding: scratch.output, as: UTF8.self)
    }

    /// Output written since `from` on one line, trimmed (for the first `<h1>`).
    private func collapsedOutput(from: Int) -> String {
        let piece = output[from...].map { $0 == 10 || $0 == 9 ? 32 : $0 }
        var text = Substring(String(decoding: piece, as: UTF8.self))
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return String(text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " "))
    }
}
