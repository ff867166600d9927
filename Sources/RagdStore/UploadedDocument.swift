import RagdText

/// A document as a client uploaded it: its text, already extracted and normalized, and the
/// fields given with it. An ingest stores it at once (`Ingestor` in RagdPipeline); a
/// background ingest queues it (`NewJob`) and ingests it once a runner claims it
/// (`ClaimedJob`).
public struct UploadedDocument: Sendable {
    public var title: String
    public var source: String?
    public var contentType: String
    public var text: String
    public var metadataJSON: String
    /// For a PDF: where each page starts in `text`, so each chunk is stored with its pages.
    public var pages: PageMap?

    public init(title: String, source: String?, contentType: String, text: String, metadataJSON: String,
                pages: PageMap? = nil) {
        self.title = title
        self.source = source
        self.contentType = contentType
        self.text = text
        self.metadataJSON = metadataJSON
        self.pages = pages
    }
}
