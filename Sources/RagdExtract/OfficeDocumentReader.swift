import RagdText

/// The reader for PDF and DOCX uploads that `DocumentExtractor` hands binary formats to.
/// Every failure is a `TextError`: `.unreadableDocument` (422) saying why the file cannot
/// be read, or `.extractorFailed` (500) when the server cannot run its tools.
public struct OfficeDocumentReader: BinaryDocumentReader, Sendable {
    public var limits: ExtractionLimits

    public init(limits: ExtractionLimits = ExtractionLimits()) {
        self.limits = limits
    }

    public func read(_ bytes: [UInt8], format: DocumentFormat) throws(TextError) -> ExtractedDocument {
        let name = format == .pdf ? "PDF" : "Word document"
        do throws(TextError) {
            switch format {
            case .pdf: return try PDFReader(limits: limits).read(bytes)
            case .docx: return try DOCXReader(limits: limits).read(bytes)
            default: throw TextError(.unsupportedMediaType, "\(format) is not a binary format")
            }
        } catch {
            guard error.code == .unreadableDocument else { throw error }
            throw TextError(.unreadableDocument, "This \(name) cannot be read: \(error.message).")
        }
    }
}
