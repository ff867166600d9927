import Crypto
import Logging
import RagdCore
import RagdEmbedding
import RagdMetrics
import RagdMilvus
import RagdStore
import RagdText

/// A document to ingest: already extracted and normalized text plus its fields.
public struct IngestRequest: Sendable {
    public var tenant: String
    public var title: String
    public var source: String?
    public var contentType: String
    public var text: String
    public var metadataJSON: String
    /// For a PDF: where each page starts in `text`, so each chunk is stored with its pages.
    public var pages: PageMap?

    public init(tenant: String, title: String, source: String?, contentType: String, text: String, metadataJSON: String,
                pages: PageMap? = nil) {
        self.pages = pages
        self.tenant = tenant
        self.title = title
        self.source = source
        self.contentType = contentType
        self.text = text
        self.metadataJSON = metadataJSON
    }
}

public struct IngestResult: Sendable {
    public var document: DocumentRecord
    /// True when the tenant already had this content; nothing new was stored.
    public var duplicate: Bool
    /// `chunk`, `store` (PostgreSQL writes), `terms` (tokenizing for the keyword index),
    /// `embed`, `index` (Milvus insert), `publish` (keyword terms and the ready mark).
    public var timings: StageTimings
}

/// Chunks, embeds and stores documents so that a document is visible only once both
/// PostgreSQL and Milvus hold it, and a failure leaves nothing of it behind.
///
/// The steps: the document and its chunks go into PostgreSQL as `pending` (invisible to
/// every read) in one transaction; the chunks are embedded; the vectors go into Milvus;
/// only then is the document marked `ready`, in the same transaction that writes its
/// chunks' terms into the keyword index. When embedding or Milvus fails, the vectors
/// written so far are deleted and the rows removed; vectors Milvus cannot delete at that
/// moment (it is down) are queued in `vector_cleanup` and deleted later. Searches join
/// Milvus hits with ready rows, so a leftover vector is never shown in the meantime.
public final class Ingestor {
    let store: DocumentStore
    let milvus: MilvusClient
    let embedder: Embedder
    let collection: String
    let chunker: Chunker
    private let logger = Logger(label: "ragd.ingest")

    /// A pending document older than this is taken to be from an ingest that died.
    static let stalePendingSeconds = 900

    public init(store: DocumentStore, milvus: MilvusClient, embedder: Embedder, collection: String, chunker: Chunker) {
        self.store = store
        self.milvus = milvus
        self.embedder = embedder
        self.collection = collection
        self.chunker = chunker
    }

    public func ingest(_ request: IngestRequest) throws(PipelineError) -> IngestResult {
        do {
            return try run(request)
        } catch {
            throw PipelineError.from(error)
        }
    }

    private func run(_ request: IngestRequest) throws -> IngestResult {
        var timings = StageTimings()
        cleanUpVectors(limit: 5)
        let sha256 = Self.sha256Hex(request.text)
        if let existing = try timings.measure("store", { try store.document(tenant: request.tenant, sha256: sha256) }) {
            if let result = try resolveExisting(existing) { return result }
        }
        let pieces = timings.measure("chunk") { chunker.chunks(of: request.text) }
        guard !pieces.isEmpty else { throw PipelineError(.invalidInput, "the document has no text to index") }

        let document = NewDocument(id: Identifier.uuid(), tenant: request.tenant, title: request.title, source: request.source,
                                   contentType: request.contentType, sha256: sha256, metadataJSON: request.metadataJSON,
                                   byteSize: request.text.utf8.count, pageCount: request.pages?.pageCount)
        let chunks = pieces.map { piece in
            NewChunk(id: Identifier.uuid(), ordinal: piece.ordinal, text: piece.text,
                     pages: request.pages?.pages(start: piece.start, end: piece.end).map { PageRange(start: $0.first, end: $0.last) })
        }
        guard try timings.measure("store", { try store.insertPending(document, chunks: chunks) }) else {
            // Another request stored the same content between our check and our insert.
            guard let existing = try store.document(tenant: request.tenant, sha256: sha256),
                  let result = try resolveExisting(existing) else {
                throw PipelineError(.conflict, "the same content is being ingested by another request")
            }
            return result
        }

        let terms = timings.measure("terms") { KeywordTerms.of(chunks.map { (id: $0.id, text: $0.text) }, title: document.title) }
        do {
            let vectors = try timings.measure("embed") { try embedder.embed(chunks.map(\.text), purpose: .document) }
            MetricsRecorder.current?.recordStage("embed", seconds: (timings.milliseconds("embed") ?? 0) / 1000)
            let rows = zip(chunks, vectors).map { chunk, vector in
                MilvusRow(chunkID: chunk.id, documentID: document.id, tenant: document.tenant, vector: vector)
            }
            _ = try timings.measure("index") { try milvus.insert(collection: collection, rows: rows) }
            try timings.measure("publish") {
                try store.markReady(id: document.id, tenant: document.tenant, terms: terms, keywordVersion: SearchTokenizer.version)
            }
        } catch {
            discard(documentID: document.id, tenant: document.tenant, cause: error)
            throw error
        }
        guard let ready = try store.document(id: document.id, tenant: document.tenant) else {
            throw PipelineError(.badGateway, dependency: "database", "the stored document could not be read back")
        }
        return IngestResult(document: ready, duplicate: false, timings: timings)
    }

    /// nil when the existing row was stale and has been removed (ingest again).
    private func resolveExisting(_ existing: DocumentRecord) throws -> IngestResult? {
        if existing.status == "ready" { return IngestResult(document: existing, duplicate: true, timings: StageTimings()) }
        guard try store.isStalePending(id: existing.id, tenant: existing.tenant, olderThanSeconds: Self.stalePendingSeconds) else {
            throw PipelineError(.conflict, "the same content is being ingested by another request")
        }
        discard(documentID: existing.id, tenant: existing.tenant, cause: nil)
        return nil
    }

    /// Removes every trace of a document that did not make it: vectors first (queued for
    /// later if Milvus is down), then the rows.
    private func discard(documentID: String, tenant: String, cause: Error?) {
        do {
            try milvus.delete(collection: collection, documentID: documentID, tenant: tenant, waitUntilVisible: false)
        } catch {
            do {
                try store.recordVectorCleanup(documentID: documentID, tenant: tenant)
            } catch {
                logger.error("could not queue vector cleanup", metadata: ["document_id": .string(documentID)])
            }
        }
        do {
            try store.deleteDocument(id: documentID, tenant: tenant)
        } catch {
            logger.error("could not remove a failed document; it stays pending and invisible", metadata: ["document_id": .string(documentID)])
        }
        if let cause {
            logger.warning("ingest failed; document discarded", metadata: [
                "document_id": .string(documentID), "error": .string(String(describing: PipelineError.from(cause))),
            ])
        }
    }

    /// Deletes vectors queued by earlier failures, a few at a time; best effort.
    public func cleanUpVectors(limit: Int) {
        guard let pending = try? store.pendingVectorCleanups(limit: limit) else { return }
        for item in pending {
            do {
                try milvus.delete(collection: collection, documentID: item.documentID, tenant: item.tenant, waitUntilVisible: false)
                try store.vectorCleanupDone(documentID: item.documentID)
            } catch {
                return // Milvus still down: try again with a later request
            }
        }
    }

    /// Deletes a document of the tenant: vectors first, so a failure leaves the document
    /// whole (and retryable) rather than half there. False when there is no such document.
    public func delete(documentID: String, tenant: String) throws(PipelineError) -> Bool {
        do {
            guard try store.document(id: documentID, tenant: tenant) != nil else { return false }
            try milvus.delete(collection: collection, documentID: documentID, tenant: tenant)
            return try store.deleteDocument(id: documentID, tenant: tenant)
        } catch {
            throw PipelineError.from(error)
        }
    }

    static func sha256Hex(_ text: String) -> String {
        Hex.lowercase(SHA256.hash(data: Array(text.utf8)))
    }
}
