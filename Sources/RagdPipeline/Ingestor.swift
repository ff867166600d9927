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

public struct IngestResult: Sendable {
    public var document: DocumentRecord
    /// True when the tenant already had this content; nothing new was stored.
    public var duplicate: Bool
    /// `chunk`, `store` (PostgreSQL writes), `terms` (tokenizing for the keyword index),
    /// `embed`, `index` (Milvus insert), `visible` (waiting until Milvus searches see the
    /// vectors; the keyword postings are written meanwhile), `publish` (the rest of the
    /// transaction that writes the keyword terms and marks the document ready).
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
    public func ingest(_ upload: UploadedDocument, tenant: String,
                       progress: ((Int, Int) -> Void)? = nil) throws(PipelineError) -> IngestResult {
        do {
            return try run(upload, tenant: tenant, progress: progress)
        } catch {
            throw PipelineError.from(error)
        }
    }

    static let progressBatch = 64

    private func run(_ upload: UploadedDocument, tenant: String, progress: ((Int, Int) -> Void)?) throws -> IngestResult {
        var timings = StageTimings()
        cleanUpVectors(limit: 5)
        let owner = IngestLease.currentOwner()
        let document: NewDocument, chunks: [NewChunk]
        switch try prepare(upload, tenant: tenant, sha256: Self.sha256Hex(upload.text), owner: owner, timings: &timings) {
        case .existing(let result): return result
        case .pending(let stored, let storedChunks): (document, chunks) = (stored, storedChunks)
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
            let inserted = try timings.measure("index") { try milvus.insertWithoutWaiting(collection: collection, rows: rows) }
            let published = try publish([(id: document.id, terms: terms)], tenant: document.tenant, owner: owner,
                                        inserted: inserted, timings: &timings)
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

    /// What `prepare` made of an upload: the result for content the tenant already has,
    /// or the document and its chunks, now stored as pending under the caller's lease.
    private enum Preparation {
        case existing(IngestResult)
        case pending(NewDocument, [NewChunk])
    }

    /// Looks the content up (a duplicate, or a dead ingest's leftover to reclaim), chunks
    /// it and stores document and chunks as pending, for a single ingest and a batch alike.
    private func prepare(_ upload: UploadedDocument, tenant: String, sha256: String, owner: String,
                         timings: inout StageTimings) throws -> Preparation {
        if let existing = try timings.measure("store", { try store.document(tenant: tenant, sha256: sha256) }),
           let result = try resolveExisting(existing) {
            return .existing(result)
        }
        let pieces = timings.measure("chunk") { chunker.chunks(of: upload.text) }
        guard !pieces.isEmpty else { throw PipelineError(.invalidInput, "the document has no text to index") }
        let document = NewDocument(id: Identifier.uuid(), tenant: tenant, title: upload.title, source: upload.source,
                                   contentType: upload.contentType, sha256: sha256, metadataJSON: upload.metadataJSON,
                                   byteSize: upload.text.utf8.count, pageCount: upload.pages?.pageCount)
        let chunks = pieces.map { piece in
            NewChunk(id: Identifier.uuid(), ordinal: piece.ordinal, text: piece.text,
                     pages: upload.pages?.pages(start: piece.start, end: piece.end).map { PageRange(start: $0.first, end: $0.last) })
        }
        guard try timings.measure("store", {
            try store.insertPending(document, chunks: chunks, owner: owner, leaseSeconds: IngestLease.seconds, collection: collection)
        }) else {
            // Another request stored the same content between our check and our insert.
            guard let existing = try store.document(tenant: tenant, sha256: sha256),
                  let result = try resolveExisting(existing) else {
                throw PipelineError(.conflict, "the same content is being ingested by another request")
            }
            return .existing(result)
        }
        return .pending(document, chunks)
    }

    /// Ingests several documents of ONE tenant as one batch (background jobs, bulk loads):
    /// their chunks are embedded in shared batches, their vectors go to Milvus in one insert
    /// with one wait until searchable, and they become ready together in one PostgreSQL
    /// transaction (which writes their keyword postings during that wait). So a bulk load
    /// pays Milvus's visibility wait (0.2-0.4 s) once per batch, not once per document.
    ///
    /// All-or-nothing per batch: when embedding, Milvus or PostgreSQL fails after the
    /// documents were stored as pending, every document of the batch is discarded (rows
    /// and vectors, as for a single ingest) and every result carries that error; no
    /// document of the batch is ever visible without the others. Documents that fail on
    /// their own before anything is stored (no text) and content the tenant already has
    /// (or that an earlier document of the batch has: a duplicate of it) are answered
    /// alone. `progress[i]`, when given, hears document i's chunks embedded.
    /// Returns one result per upload, in order.
    public func ingestBatch(_ uploads: [UploadedDocument], tenant: String, progress: [((Int, Int) -> Void)?] = [])
        -> [Result<IngestResult, PipelineError>] {
        var results = [Result<IngestResult, PipelineError>?](repeating: nil, count: uploads.count)
        guard !uploads.isEmpty else { return [] }
        struct Prepared {
            var index: Int
            var document: NewDocument
            var chunks: [NewChunk]
            var terms = DocumentTerms(chunks: [])
        }
        var timings = StageTimings()
        var prepared: [Prepared] = []
        var firstBySHA: [String: Int] = [:]  // sha256 -> index of the upload that ingests it
        var aliases: [(index: Int, of: Int)] = []
        let owner = IngestLease.currentOwner()
        cleanUpVectors(limit: 5)
        for (index, upload) in uploads.enumerated() {
            do {
                let sha256 = Self.sha256Hex(upload.text)
                if let first = firstBySHA[sha256] {
                    aliases.append((index, first))
                    continue
                }
                switch try prepare(upload, tenant: tenant, sha256: sha256, owner: owner, timings: &timings) {
                case .existing(let result):
                    results[index] = .success(result)
                case .pending(let document, let chunks):
                    firstBySHA[sha256] = index
                    prepared.append(Prepared(index: index, document: document, chunks: chunks))
                }
            } catch {
                results[index] = .failure(PipelineError.from(error))
            }
        }

        if !prepared.isEmpty {
            do {
                for i in prepared.indices {
                    let item = prepared[i]
                    prepared[i].terms = timings.measure("terms") {
                        KeywordTerms.of(item.chunks.map { (id: $0.id, text: $0.text) }, title: item.document.title)
                    }
                }
                // Chunks of every document in one list, embedded `progressBatch` at a time.
                let all = prepared.flatMap { item in item.chunks.map { (item: item.index, chunk: $0) } }
                var embedded = [Int: Int]()
                for item in prepared {
                    if item.index < progress.count { progress[item.index]?(0, item.chunks.count) }
                }
                var vectors: [[Float]] = []
                try timings.measure("embed") {
                    for start in stride(from: 0, to: all.count, by: Self.progressBatch) {
                        let slice = all[start..<min(start + Self.progressBatch, all.count)]
                        vectors += try embedder.embed(slice.map(\.chunk.text), purpose: .document)
                        for (index, count) in Dictionary(grouping: slice, by: \.item).mapValues(\.count) {
                            embedded[index, default: 0] += count
                            if index < progress.count, let item = prepared.first(where: { $0.index == index }) {
                                progress[index]?(embedded[index] ?? 0, item.chunks.count)
                            }
                        }
                    }
                }
                MetricsRecorder.current?.recordStage("embed", seconds: (timings.milliseconds("embed") ?? 0) / 1000)
                guard vectors.count == all.count else {
                    throw PipelineError(.badGateway, dependency: "embedder", "the embedder returned \(vectors.count) vectors for \(all.count) chunks")
                }
                let documentIDs = Dictionary(uniqueKeysWithValues: prepared.map { ($0.index, $0.document.id) })
                let rows = zip(all, vectors).map { entry, vector in
                    MilvusRow(chunkID: entry.chunk.id, documentID: documentIDs[entry.item]!, tenant: tenant, vector: vector)
                }
                let inserted = try timings.measure("index") { try milvus.insertWithoutWaiting(collection: collection, rows: rows) }
                let published = try publish(prepared.map { (id: $0.document.id, terms: $0.terms) }, tenant: tenant, owner: owner,
                                            inserted: inserted, timings: &timings)
                guard published else {
                    throw PipelineError(.badGateway, dependency: "database",
                                        "the ingest took too long and its documents were reclaimed; send them again")
                }
            } catch {
                for item in prepared {
                    discard(documentID: item.document.id, tenant: tenant, cause: error)
                    results[item.index] = .failure(PipelineError.from(error))
                }
                // Input one document's content makes unacceptable (e.g. a vector Milvus
                // refuses) must not fail the others for good: each is tried alone.
                if PipelineError.from(error).code == .invalidInput, prepared.count > 1 {
                    for item in prepared {
                        let report = item.index < progress.count ? progress[item.index] : nil
                        do throws(PipelineError) {
                            results[item.index] = .success(try ingest(uploads[item.index], tenant: tenant, progress: report))
                        } catch {
                            results[item.index] = .failure(error)
                        }
                    }
                }
                prepared = []
            }
            // Published: every document is ready (reading one back can still fail).
            for item in prepared {
                do {
                    guard let ready = try store.document(id: item.document.id, tenant: tenant) else {
                        throw PipelineError(.badGateway, dependency: "database", "the stored document could not be read back")
                    }
                    results[item.index] = .success(IngestResult(document: ready, duplicate: false, timings: timings))
                } catch {
                    results[item.index] = .failure(PipelineError.from(error))
                }
            }
        }
        for alias in aliases {
            results[alias.index] = results[alias.of].map { result in
                result.map { IngestResult(document: $0.document, duplicate: true, timings: StageTimings()) }
            }
        }
        return results.map { $0 ?? .failure(PipelineError(.badGateway, dependency: "database", "the document was not ingested")) }
    }

    /// Publishes pending documents of one tenant whose vectors are `inserted`: the
    /// keyword postings are written while Milvus makes the vectors searchable, then the
    /// documents become ready together (`DocumentStore.markReady`). Records `visible`
    /// (the wait for Milvus) and `publish` (the transaction's own time beyond that wait).
    /// False when the lease was lost.
    private func publish(_ documents: [(id: String, terms: DocumentTerms)], tenant: String, owner: String,
                         inserted: MilvusInsertedRows, timings: inout StageTimings) throws -> Bool {
        var waited = 0.0
        let started = Clock.monotonicNanoseconds()
        let published = try store.markReady(documents, tenant: tenant, owner: owner, keywordVersion: SearchTokenizer.version) {
            let waitStarted = Clock.monotonicNanoseconds()
            defer { waited = Double(Clock.monotonicNanoseconds() - waitStarted) / 1e6 }
            try milvus.waitUntilVisible(inserted)
        }
        timings.add("visible", milliseconds: waited)
        timings.add("publish", milliseconds: Double(Clock.monotonicNanoseconds() - started) / 1e6 - waited)
        return published
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
