/// A document as stored (the source of truth is PostgreSQL).
public struct DocumentRecord: Sendable, Equatable {
    public var id: String
    public var tenant: String
    public var title: String
    public var source: String?
    public var contentType: String
    /// Hex SHA-256 of the normalized text: the duplicate key within a tenant.
    public var sha256: String
    /// The metadata object as JSON text.
    public var metadataJSON: String
    /// `pending` while being ingested (invisible to every read), then `ready`.
    public var status: String
    public var chunkCount: Int
    public var byteSize: Int
    /// ISO-8601 UTC with microseconds.
    public var createdAt: String
    public var updatedAt: String
    /// Pages of a PDF; nil for other formats.
    public var pageCount: Int? = nil
}

/// The first and last page of a chunk of a PDF (numbered from 1).
public struct PageRange: Sendable, Equatable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    /// From the two nullable columns; nil unless both are set.
    init?(_ start: String?, _ end: String?) {
        guard let start = start.flatMap({ Int($0) }), let end = end.flatMap({ Int($0) }) else { return nil }
        self.init(start: start, end: end)
    }
}

/// A chunk to store with a new document.
public struct NewChunk: Sendable {
    public var id: String
    public var ordinal: Int
    public var text: String
    /// Pages of a PDF chunk; nil for other formats.
    public var pages: PageRange?

    public init(id: String, ordinal: Int, text: String, pages: PageRange? = nil) {
        self.id = id
        self.ordinal = ordinal
        self.text = text
        self.pages = pages
    }
}

/// A stored chunk.
public struct ChunkRecord: Sendable, Equatable {
    public var id: String
    public var documentID: String
    public var ordinal: Int
    public var text: String
    public var pages: PageRange? = nil
}

/// A chunk with what a search result shows of its document.
public struct ChunkWithDocument: Sendable, Equatable {
    public var chunkID: String
    public var documentID: String
    public var title: String
    public var source: String?
    public var ordinal: Int
    public var text: String
    public var pages: PageRange? = nil
}

/// A new document's fields.
public struct NewDocument: Sendable {
    public var id: String
    public var tenant: String
    public var title: String
    public var source: String?
    public var contentType: String
    public var sha256: String
    public var metadataJSON: String
    public var byteSize: Int
    /// Pages of a PDF; nil for other formats.
    public var pageCount: Int?

    public init(id: String, tenant: String, title: String, source: String?, contentType: String, sha256: String,
                metadataJSON: String, byteSize: Int, pageCount: Int? = nil) {
        self.pageCount = pageCount
        self.id = id
        self.tenant = tenant
        self.title = title
        self.source = source
        self.contentType = contentType
        self.sha256 = sha256
        self.metadataJSON = metadataJSON
        self.byteSize = byteSize
    }
}
