/// A document turned into the text ragd stores: normalized text, a suggested title and
/// the format it came in.
public struct ExtractedDocument: Sendable, Equatable {
    /// The normalized text (see `TextNormalizer`); may be empty if the document had none.
    public var text: String
    /// A title found in the document (HTML `<title>` or first `<h1>`, Markdown front
    /// matter or first `# heading`), normalized to one line of at most
    /// `DocumentExtractor.maxTitleLength` characters; nil when there is none (plain text).
    public var title: String?
    /// The format the document was read as.
    public var format: DocumentFormat
    /// For a PDF: where each page starts in `text`; nil for formats without pages.
    public var pages: PageMap?

    /// Creates an extracted document.
    public init(text: String, title: String?, format: DocumentFormat, pages: PageMap? = nil) {
        self.text = text
        self.title = title
        self.format = format
        self.pages = pages
    }
}

/// Reads the binary formats (PDF, DOCX). RagdText has no parser for them: the reader
/// lives in RagdExtract, which runs the parsers in limited child processes.
public protocol BinaryDocumentReader {
    /// The text of `bytes`, read as `format` (`format.isBinary`).
    ///
    /// - Throws: `.unreadableDocument` naming why the file cannot be read.
    func read(_ bytes: [UInt8], format: DocumentFormat) throws(TextError) -> ExtractedDocument
}

/// Chooses the reader for a body from its `Content-Type` (or, for generic types, the
/// upload's file name) and produces an `ExtractedDocument`.
public enum DocumentExtractor {
    /// The media types accepted, for `415` responses and `Accept-Post`-style hints.
    public static let supportedMediaTypes: [String] = DocumentFormat.allCases.map(\.mediaType)
    /// The charsets accepted (US-ASCII is a subset of UTF-8).
    public static let supportedCharsets: Set<String> = ["utf-8", "utf8", "us-ascii", "ascii"]
    /// Longest suggested title, in Unicode scalars; longer ones are cut at a space. 256.
    public static let maxTitleLength = 256

    /// Reads `body` as the format `contentType` names.
    ///
    /// A missing `contentType`, or `application/octet-stream`, defers to `filename`'s
    /// extension (`.txt`, `.md`, `.html`, ...); with neither, a missing type means plain
    /// text and `application/octet-stream` is unsupported.
    ///
    /// PDF and DOCX go to `binaryReader`; without one they are unsupported (415).
    ///
    /// - Throws: `.unsupportedMediaType` (415) naming the type, `.unsupportedCharset`
    ///   (415) for a charset other than UTF-8/US-ASCII, `.invalidUTF8` (400) with the byte
    ///   offset, `.unreadableDocument` (422) from the binary reader.
    public static func extract(body: [UInt8], contentType: String?, filename: String? = nil,
                               binaryReader: BinaryDocumentReader? = nil) throws(TextError) -> ExtractedDocument {
        let format = try format(contentType: contentType, filename: filename)
        if format.isBinary {
            guard let binaryReader else {
                throw TextError(.unsupportedMediaType, "media type \(printable(format.mediaType)) is not supported here")
            }
            return try binaryReader.read(body, format: format)
        }
        return extract(text: try UTF8Text.decode(body), format: format)
    }

    /// The format for a `Content-Type` and optional file name (see `extract(body:...)`).
    public static func format(contentType: String?, filename: String? = nil) throws(TextError) -> DocumentFormat {
        let trimmed = contentType.map { $0.trimmingSpaces } ?? ""
        let fromName = filename.flatMap { DocumentFormat(filename: $0) }
        if trimmed.isEmpty { return fromName ?? .plainText }
        guard let mediaType = MediaType(parsing: trimmed) else {
            throw TextError(.unsupportedMediaType, "Content-Type \(printable(trimmed)) cannot be parsed; supported: \(supportedList)")
        }
        let named = DocumentFormat(mediaType: mediaType.essence)
        // A charset means something only for text; a PDF's is no reason to refuse it.
        if named?.isBinary != true, let charset = mediaType.charset, !supportedCharsets.contains(charset) {
            throw TextError(.unsupportedCharset,
                            "charset \(printable(charset)) is not supported; send UTF-8 (charset=utf-8)")
        }
        if let named { return named }
        if mediaType.essence == "application/octet-stream", let fromName { return fromName }
        throw TextError(.unsupportedMediaType, "media type \(printable(mediaType.essence)) is not supported; supported: \(supportedList)")
    }

    /// Normalizes already-decoded text of `format` and finds its title.
    public static func extract(text: String, format: DocumentFormat) -> ExtractedDocument {
        switch format {
        case .plainText, .pdf, .docx:
            // PDF and DOCX reach here only as text their reader already extracted.
            return ExtractedDocument(text: TextNormalizer.normalize(text), title: nil, format: format)
        case .markdown:
            let normalized = TextNormalizer.normalize(text)
            return ExtractedDocument(text: normalized, title: cleanTitle(MarkdownText.suggestedTitle(normalized)), format: format)
        case .html:
            let extraction = HTMLText.extract(text)
            return ExtractedDocument(text: TextNormalizer.normalize(extraction.text), title: cleanTitle(extraction.title),
                                     format: format)
        }
    }

    /// One line, white space collapsed, at most `maxTitleLength` scalars; nil if empty.
    public static func cleanTitle(_ title: String?) -> String? {
        guard let title else { return nil }
        let words = TextNormalizer.normalize(title).split(whereSeparator: { $0.isWhitespace })
        var result = words.joined(separator: " ")
        if result.unicodeScalars.count > maxTitleLength {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: result.unicodeScalars.prefix(maxTitleLength))
            var cut = String(view)
            if let space = cut.lastIndex(of: " "), cut.distance(from: cut.startIndex, to: space) > maxTitleLength / 2 {
                cut = String(cut[..<space])
            }
            result = cut
        }
        return result.isEmpty ? nil : result
    }

    private static var supportedList: String { supportedMediaTypes.joined(separator: ", ") }

    /// A client-sent name made safe to echo: printable ASCII only, at most 80 characters.
    static func printable(_ text: String) -> String {
        let cleaned = String(text.unicodeScalars.prefix(80).map { $0.isASCII && $0.value >= 32 && $0.value < 127 ? Character($0) : "?" })
        return "\"" + cleaned + "\""
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
