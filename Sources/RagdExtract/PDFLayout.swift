/// Turns `pdftotext -tsv` output (poppler's words with their page, block and line, in
/// poppler's reading order) into text, one page at a time:
///
/// * a block (what poppler found to be one paragraph or column piece) becomes one
///   paragraph: its lines joined by spaces, a word hyphenated across a line break joined;
/// * blocks that sit side by side with lines on the same baselines, and are short-lined,
///   form a table: poppler lists a table column by column, which reads as nonsense, so
///   the lines are regrouped into rows, each row's cells joined by " | ";
/// * a block that is only a list marker ("•", "–") starts the paragraph after it;
/// * a lone page number at the top or bottom of a page is dropped (it would otherwise
///   land in the middle of a paragraph that runs across pages), and so are running heads
///   and feet: a one-line first or last block repeated on at least 3 pages and a fifth
///   of them.
///
/// Fed in pieces as the child writes them (`feed`), so the worker never holds the whole
/// TSV, which is about ten times the size of the text.
struct PDFLayout {
    struct Line {
        var words: [String] = []
        var top = 0.0, height = 0.0, left = 0.0, right = 0.0
        var text: String { words.joined(separator: " ") }
    }

    struct Block {
        var lines: [Line] = []
        var left = 0.0, top = 0.0, right = 0.0, bottom = 0.0
    }

    /// Finished pages: their number and paragraphs (and tables).
    private var rendered: [(number: Int, parts: [String])] = []
    /// Pages and their text, once `finish()` has run.
    private(set) var pages: [(number: Int, text: String)] = []
    /// Bytes of text in `pages` so far.
    private(set) var textBytes = 0
    /// Pages the document has (the highest page number seen).
    private(set) var pageCount = 0

    private var pending: [UInt8] = []
    private var page = 0
    private var pageHeight = 0.0
    private var blocks: [Block] = []

    /// Tables are looked for only on pages with at most this many blocks (the search
    /// compares every pair).
    static let maxTableSearchBlocks = 1500
    /// Blocks with longer lines on average are prose columns, not table cells.
    static let maxTableLineLength = 40

    mutating func feed(_ bytes: ArraySlice<UInt8>) {
        pending.append(contentsOf: bytes)
        var start = pending.startIndex
        while let newline = pending[start...].firstIndex(of: 10) {
            handle(pending[start..<newline])
            start = newline + 1
        }
        pending.removeSubrange(..<start)
    }

    mutating func finish() {
        if !pending.isEmpty { handle(pending[...]) }
        pending.removeAll()
        finishPage()
        let running = runningLines()
        pages = rendered.enumerated().map { index, page in
            var parts = page.parts
            // The first page's first line is the document's title more often than a head.
            if index > 0, let first = parts.first, running.contains(first) { parts.removeFirst() }
            if let last = parts.last, running.contains(last) { parts.removeLast() }
            return (page.number, parts.joined(separator: "\n\n"))
        }
        rendered = []
    }

    /// One-line texts that open or close at least 3 pages and a fifth of all pages.
    private func runningLines() -> Set<String> {
        var counts: [String: Int] = [:]
        for page in rendered {
            let edges = Set([page.parts.first, page.parts.last].compactMap { $0 }.filter { !$0.contains("\n") && $0.count <= 120 })
            for edge in edges { counts[edge, default: 0] += 1 }
        }
        let needed = max(3, rendered.count / 5)
        return Set(counts.filter { $0.value >= needed }.keys)
    }

    /// One TSV row: level, page, flow, block, line, word, left, top, width, height, conf, text.
    private mutating func handle(_ row: ArraySlice<UInt8>) {
        let fields = row.split(separator: 9, maxSplits: 11, omittingEmptySubsequences: false)
        guard fields.count == 12, let level = Int(ascii: fields[0]) else { return } // the header, or noise
        let left = Double(ascii: fields[6]) ?? 0, top = Double(ascii: fields[7]) ?? 0
        let width = Double(ascii: fields[8]) ?? 0, height = Double(ascii: fields[9]) ?? 0
        switch level {
        case 1:
            finishPage()
            page = Int(ascii: fields[1]) ?? page + 1
            pageCount = max(pageCount, page)
            pageHeight = height
        case 3:
            blocks.append(Block(left: left, top: top, right: left + width, bottom: top + height))
        case 4:
            if blocks.isEmpty { blocks.append(Block()) }
            blocks[blocks.count - 1].lines.append(Line(top: top, height: height, left: left, right: left + width))
        case 5:
            if blocks.isEmpty { blocks.append(Block()) }
            if blocks[blocks.count - 1].lines.isEmpty { blocks[blocks.count - 1].lines.append(Line()) }
            let word = String(decoding: fields[11], as: UTF8.self)
            let lastBlock = blocks.count - 1, lastLine = blocks[lastBlock].lines.count - 1
            blocks[lastBlock].lines[lastLine].words.append(word)
        default:
            break
        }
    }

    private mutating func finishPage() {
        defer { blocks.removeAll(keepingCapacity: true) }
        guard page > 0 else { return }
        let kept = blocks.filter { !$0.lines.isEmpty && !isPageNumber($0) }
        let parts = Self.render(kept)
        textBytes += parts.reduce(0) { $0 + $1.utf8.count + 2 }
        rendered.append((page, parts))
    }

    /// A block of one short line that is only a page number ("12", "- 12 -", "Page 12",
    /// "xii"), in the top or bottom tenth of the page.
    private func isPageNumber(_ block: Block) -> Bool {
        guard block.lines.count == 1, pageHeight > 0,
              block.top < pageHeight * 0.1 || block.bottom > pageHeight * 0.9 else { return false }
        var text = block.lines[0].text.lowercased()
        if text.hasPrefix("page ") { text.removeFirst(5) }
        let core = text.filter { !" -–—()[]".contains($0) }
        guard !core.isEmpty, core.count <= 6 else { return false }
        return core.allSatisfy(\.isNumber) || core.allSatisfy { "ivxlcdm".contains($0) }
    }

    /// Paragraph and table texts of one page's blocks, in reading order.
    static func render(_ blocks: [Block]) -> [String] {
        var consumed = [Bool](repeating: false, count: blocks.count)
        var parts: [String] = []
        var marker: String?
        let searchTables = blocks.count <= maxTableSearchBlocks
        for index in blocks.indices where !consumed[index] {
            consumed[index] = true
            if blocks[index].lines.count == 1, isMarker(blocks[index].lines[0].text) {
                marker = (marker.map { $0 + " " } ?? "") + blocks[index].lines[0].text
                continue
            }
            defer { marker = nil }
            if let marker, !searchTables || tableGroup(from: index, in: blocks, consumed: &consumed).count == 1 {
                parts.append(marker + " " + paragraphText(blocks[index]))
                continue
            }
            if searchTables {
                let group = tableGroup(from: index, in: blocks, consumed: &consumed)
                if group.count > 1 {
                    parts.append(tableText(group.map { blocks[$0] }))
                    continue
                }
            }
            parts.append(paragraphText(blocks[index]))
        }
        if let marker { parts.append(marker) }
        return parts.filter { !$0.isEmpty }
    }

    /// A bullet or dash alone: it belongs to the paragraph after it.
    static func isMarker(_ text: String) -> Bool {
        text.count == 1 && "•◦▪▫‣∙·●○■□–—-*►▶✓".contains(text)
    }

    /// `start` and the blocks standing in a row with it (transitively), when together
    /// they look like a table; else just `[start]`. Marks the members consumed.
    private static func tableGroup(from start: Int, in blocks: [Block], consumed: inout [Bool]) -> [Int] {
        var group = [start]
        var inGroup = [Bool](repeating: false, count: blocks.count)
        inGroup[start] = true
        var next = 0
        while next < group.count {
            let member = blocks[group[next]]
            for candidate in blocks.indices where !consumed[candidate] && !inGroup[candidate]
            && !(blocks[candidate].lines.count == 1 && isMarker(blocks[candidate].lines[0].text))
            && alignedSideBySide(member, blocks[candidate]) {
                group.append(candidate)
                inGroup[candidate] = true
            }
            next += 1
        }
        guard group.count > 1 else { return group }
        let lines = group.flatMap { blocks[$0].lines }
        let characters = lines.reduce(0) { $0 + $1.text.count }
        guard characters / max(1, lines.count) <= maxTableLineLength else { return [start] }
        for member in group { consumed[member] = true }
        return group
    }

    /// Horizontally apart, vertically overlapping, and sharing at least one baseline
    /// (two, when both have several lines).
    private static func alignedSideBySide(_ a: Block, _ b: Block) -> Bool {
        guard a.right <= b.left || b.right <= a.left else { return false }
        let overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
        guard overlap > 0 else { return false }
        var shared = 0
        for line in a.lines where b.lines.contains(where: { sameRow($0, line) }) { shared += 1 }
        return shared >= min(2, a.lines.count, b.lines.count)
    }

    private static func sameRow(_ a: Line, _ b: Line) -> Bool {
        abs(a.top - b.top) <= max(1, min(a.height, b.height) * 0.5)
    }

    /// Rows top to bottom, cells left to right.
    private static func tableText(_ blocks: [Block]) -> String {
        let lines = blocks.flatMap(\.lines).sorted { $0.top < $1.top }
        var rows: [[Line]] = []
        for line in lines {
            if let last = rows.last?.first, sameRow(last, line) {
                rows[rows.count - 1].append(line)
            } else {
                rows.append([line])
            }
        }
        return rows.map { $0.sorted { $0.left < $1.left }.map(\.text).joined(separator: " | ") }.joined(separator: "\n")
    }

    /// The block's lines as one paragraph; "mea-" + "sure" is joined to "measure".
    private static func paragraphText(_ block: Block) -> String {
        var text = ""
        for line in block.lines {
            let words = line.text
            if words.isEmpty { continue }
            if text.isEmpty {
                text = words
            } else if text.hasSuffix("-"), text.dropLast().last?.isLetter == true, words.first?.isLowercase == true {
                text.removeLast()
                text += words
            } else {
                text += " " + words
            }
        }
        return text
    }
}

extension Int {
    init?(ascii bytes: ArraySlice<UInt8>) {
        guard !bytes.isEmpty, bytes.count < 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= 48 && byte <= 57 else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        self = value
    }
}

extension Double {
    init?(ascii bytes: ArraySlice<UInt8>) {
        guard bytes.count < 40 else { return nil }
        self.init(String(decoding: bytes, as: UTF8.self))
    }
}
