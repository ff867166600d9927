#if canImport(Glibc)
import Glibc
#endif
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

    /// How long an ingest of content another request is ingesting waits for it.
    static let conflictWaitSeconds = 5.0

    public init(store: DocumentStore, milvus: MilvusClient, embedder: Embedder, collection: String, chunker: Chunker) {
        self.store = store
        self.milvus = milvus
        self.embedder = embedder
        self.collection = collection
        self.chunker = chunker
    }

    /// `progress(embedded, total)`, when given, hears after chunking and after each batch
    /// of `progressBatch` chunks is embedded (background jobs report it).
    public func ingest(_ request: IngestRequest, progress: ((Int, Int) -> Void)? = nil) throws(PipelineError) -> IngestResult {
        do {
            return try run(request, progress: progress)
        } catch {
            throw PipelineError.from(error)
        }
    }

    static let progressBatch = 64

    private func run(_ request: IngestRequest, progress: ((Int, Int) -> Void)?) throws -> IngestResult {
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
        let owner = IngestLease.currentOwner()
        guard try timings.measure("store", {
            try store.insertPending(document, chunks: chunks, owner: owner, leaseSeconds: IngestLease.seconds, collection: collection)
        }) else {
            // Another request stored the same content between our check and our insert.
            guard let existing = try store.document(tenant: request.tenant, sha256: sha256),
                  let result = try resolveExisting(existing) else {
                throw PipelineError(.conflict, "the same content is being ingested by another request")
            }
            return result
        }

        let terms = timings.measure("terms") { KeywordTerms.of(chunks.map { (id: $0.id, text: $0.text) }, title: document.title) }
        do {
            let vectors = try timings.measure("embed") { () throws -> [[Float]] in
                guard let progress else { return try embedder.embed(chunks.map(\.text), purpose: .document) }
                var vectors: [[Float]] = []
                progress(0, chunks.count)
                for start in stride(from: 0, to: chunks.count, by: Self.progressBatch) {
                    let batch = chunks[start..<min(start + Self.progressBatch, chunks.count)]
                    vectors += try embedder.embed(batch.map(\.text), purpose: .document)
                    progress(vectors.count, chunks.count)
                }
                return vectors
            }
            MetricsRecorder.current?.recordStage("embed", seconds: (timings.milliseconds("embed") ?? 0) / 1000)
            let rows = zip(chunks, vectors).map { chunk, vector in
                MilvusRow(chunkID: chunk.id, documentID: document.id, tenant: document.tenant, vector: vector)
            }
            _ = try timings.measure("index") { try milvus.insert(collection: collection, rows: rows) }
            let published = try timings.measure("publish") {
                try store.markReady(id: document.id, tenant: document.tenant, owner: owner, terms: terms,
                                    keywordVersion: SearchTokenizer.version)
            }
            guard published else {
                throw PipelineError(.badGateway, dependency: "database",
                                    "the ingest took too long and its document was reclaimed; send it again")
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

    /// nil when the existing row was abandoned and has been removed, or vanished (ingest
    /// again). While another live ingest holds it, waits up to `conflictWaitSeconds` for
    /// it to finish (then the document is a duplicate) or go (a janitor removing a dead
    /// worker's document); 409 after that.
    private func resolveExisting(_ existing: DocumentRecord) throws -> IngestResult? {
        var current = existing
        let deadline = Clock.monotonicNanoseconds() + UInt64(Self.conflictWaitSeconds * 1e9)
        while true {
            if current.status == "ready" { return IngestResult(document: current, duplicate: true, timings: StageTimings()) }
            guard let lease = try store.pendingLease(id: current.id, tenant: current.tenant) else { return nil }
            if try reclaim(lease) { return nil }
            guard Clock.monotonicNanoseconds() < deadline else {
                throw PipelineError(.conflict, "the same content is being ingested by another request")
            }
            usleep(100_000)
            guard let next = try store.document(tenant: current.tenant, sha256: current.sha256) else { return nil }
            current = next
        }
    }

    /// Removes `lease`'s document when its owner is known dead or its lease ran out; false
    /// when it is still someone's (or another worker won the takeover).
    private func reclaim(_ lease: DocumentStore.PendingLease) throws -> Bool {
        let abandoned = lease.expired || lease.owner.map(IngestLease.isDead) == true
        guard abandoned, try store.takeOver(lease, newOwner: IngestLease.currentOwner(), seconds: IngestLease.seconds) else {
            return false
        }
        logger.notice("reclaimed a document whose ingest died", metadata: [
            "document_id": .string(lease.documentID), "owner": .string(lease.owner ?? "(none)"),
            "reason": .string(lease.expired ? "lease expired" : "owner process gone"),
        ])
        discard(documentID: lease.documentID, tenant: lease.tenant, cause: nil, collection: lease.collection ?? collection)
        return true
    }

    /// The janitor's round, run by every worker every few seconds: renews the leases of
    /// this process's ingests, removes documents whose ingest died (owner gone on this
    /// host, or lease expired anywhere), and retries queued vector deletions. Returns the
    /// number of documents removed.
    @discardableResult
    public func janitorRound(limit: Int = 20) throws -> Int {
        try store.renewLeases(owner: IngestLease.currentOwner(), seconds: IngestLease.seconds)
        try store.renewJobLeases(owner: IngestLease.currentOwner(), seconds: IngestLease.seconds)
        var removed = 0
        for lease in try store.reclaimCandidates(host: IngestLease.host, limit: limit) where try reclaim(lease) {
            removed += 1
        }
        cleanUpVectors(limit: limit)
        return removed
    }

    /// Removes every trace of a document that did not make it: vectors first (queued for
    /// later if Milvus is down), then the rows.
    private func discard(documentID: String, tenant: String, cause: Error?, collection: String? = nil) {
        do {
            try milvus.delete(collection: collection ?? self.collection, documentID: documentID, tenant: tenant, waitUntilVisible: false)
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
