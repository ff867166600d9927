/// One piece of a document, as stored, embedded and cited.
public struct TextChunk: Sendable, Equatable {
    /// Position in the document, from 0, in text order.
    public var ordinal: Int
    /// The chunk's text: `text[start..<end]` of the chunked (normalized) text, never empty
    /// and never starting or ending with whitespace.
    public var text: String
    /// Offset of the first character, counted in Unicode scalars (code points) from the
    /// start of the chunked text: the unit PostgreSQL's `substr` and Python's `str` use.
    public var start: Int
    /// Offset just past the last character, in Unicode scalars.
    public var end: Int

    /// Creates a chunk.
    public init(ordinal: Int, text: String, start: Int, end: Int) {
        self.ordinal = ordinal
        self.text = text
        self.start = start
        self.end = end
    }
}
