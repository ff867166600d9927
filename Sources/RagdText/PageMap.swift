/// Where each page of a paged document (PDF) begins in its extracted text, so that a
/// chunk can name the pages it came from.
public struct PageMap: Sendable, Equatable {
    /// A page's first character, as an offset in Unicode scalars into the text (the unit
    /// of `TextChunk.start`), and its number (from 1, as the document counts its pages).
    public struct Start: Sendable, Equatable {
        public var offset: Int
        public var page: Int

        public init(offset: Int, page: Int) {
            self.offset = offset
            self.page = page
        }
    }

    /// Pages that have text, in ascending offset order; pages without text are absent.
    public private(set) var starts: [Start]
    /// Pages in the source document, those without text included.
    public var pageCount: Int

    public init(starts: [Start], pageCount: Int) {
        self.starts = starts
        self.pageCount = pageCount
    }

    /// The page holding the character at `offset`, or nil before the first page.
    public func page(at offset: Int) -> Int? {
        // The last start at or before the offset (binary search: a long PDF has thousands).
        var low = 0, high = starts.count
        while low < high {
            let middle = (low + high) / 2
            if starts[middle].offset <= offset { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : starts[low - 1].page
    }

    /// The first and last page of the characters `start..<end` (a chunk's range).
    public func pages(start: Int, end: Int) -> (first: Int, last: Int)? {
        guard let first = page(at: start) else { return nil }
        return (first, page(at: max(start, end - 1)) ?? first)
    }
}

/// Builds the stored text of a paged document: each page normalized on its own (see
/// `TextNormalizer`), pages without text dropped, the rest joined by one blank line (a
/// paragraph break, where the chunker likes to cut), with the offset of each page.
public enum PagedText {
    public static func assemble(_ pages: [(number: Int, text: String)], pageCount: Int) -> (text: String, map: PageMap) {
        var text = ""
        var offset = 0
        var starts: [PageMap.Start] = []
        for page in pages {
            let normalized = TextNormalizer.normalize(page.text)
            // Normalization keeps leading indentation; a page of only spaces has no text.
            guard normalized.unicodeScalars.contains(where: { !CharacterClass.isWhitespace($0) }) else { continue }
            if !text.isEmpty {
                text += "\n\n"
                offset += 2
            }
            starts.append(PageMap.Start(offset: offset, page: page.number))
            text += normalized
            offset += normalized.unicodeScalars.count
        }
        return (text, PageMap(starts: starts, pageCount: pageCount))
    }
}
