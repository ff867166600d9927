/// The document formats ragd turns into text.
public enum DocumentFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// `text/plain`: stored as sent (normalized).
    case plainText = "text/plain"
    /// `text/markdown` (also `text/x-markdown`): kept as Markdown, title from `# Heading`.
    case markdown = "text/markdown"
    /// `text/html` (also `application/xhtml+xml`): converted to text, title from `<title>`.
    case html = "text/html"
    /// `application/pdf`: text per page from poppler (RagdExtract), title from the Info
    /// dictionary.
    case pdf = "application/pdf"
    /// A Word document (Office Open XML): text from `word/document.xml` (RagdExtract),
    /// title from `docProps/core.xml`.
    case docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    /// The canonical media type, e.g. `text/html`.
    public var mediaType: String { rawValue }
    /// The canonical media type.
    public var description: String { rawValue }

    /// A container of text rather than text: read by a parser in a limited child process,
    /// never decoded as UTF-8.
    public var isBinary: Bool { self == .pdf || self == .docx }

    /// The format of a media type's essence (`type/subtype`, any case), or nil.
    public init?(mediaType essence: String) {
        switch essence.lowercased() {
        case "text/plain": self = .plainText
        case "text/markdown", "text/x-markdown": self = .markdown
        case "text/html", "application/xhtml+xml": self = .html
        case "application/pdf", "application/x-pdf": self = .pdf
        case "application/vnd.openxmlformats-officedocument.wordprocessingml.document": self = .docx
        default: return nil
        }
    }

    /// The format a file name's extension suggests (`.txt`, `.text`, `.md`, `.markdown`,
    /// `.html`, `.htm`, `.xhtml`, `.pdf`, `.docx`, any case), or nil.
    public init?(filename: String) {
        guard let dot = filename.lastIndex(of: "."), dot != filename.startIndex else { return nil }
        switch filename[filename.index(after: dot)...].lowercased() {
        case "txt", "text": self = .plainText
        case "md", "markdown", "mdown", "mkd": self = .markdown
        case "html", "htm", "xhtml": self = .html
        case "pdf": self = .pdf
        case "docx": self = .docx
        default: return nil
        }
    }
}
