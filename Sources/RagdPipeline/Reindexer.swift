import RagdEmbedding
import RagdMilvus
import RagdStore
import RagdText

/// Rebuilds the indexes from PostgreSQL, the source of truth.
///
/// * Milvus (`run`): drop, create with the embedder's dimension, then embed and insert
///   every ready document's chunks.
/// * The keyword index (`KeywordReindexer`, also run at the end of `run`).
public struct Reindexer {
    let store: DocumentStore
    let milvus: MilvusClient
    let embedder: Embedder
    let collection: String

    public init(store: DocumentStore, milvus: MilvusClient, embedder: Embedder, collection: String) {
        self.store = store
        self.milvus = milvus
        self.embedder = embedder
        self.collection = collection
    }

    /// Returns (documents, chunks) indexed. `progress` is called after each document.
    public func run(progress: (Int, Int) -> Void = { _, _ in }) throws(PipelineError) -> (documents: Int, chunks: Int) {
        do {
            _ = try milvus.drop(collection: collection)
            try milvus.ensureCollection(name: collection, dimension: embedder.dimension)
            var documents = 0, chunks = 0
            for document in try store.allReadyDocuments() {
                let rows = try store.allChunks(documentID: document.id, tenant: document.tenant)
                guard !rows.isEmpty else { continue }
                let vectors = try embedder.embed(rows.map(\.text), purpose: .document)
                _ = try milvus.insert(collection: collection, rows: zip(rows, vectors).map { row, vector in
                    MilvusRow(chunkID: row.id, documentID: document.id, tenant: document.tenant, vector: vector)
                }, waitUntilVisible: false)
                documents += 1
                chunks += rows.count
                progress(documents, chunks)
            }
            _ = try KeywordReindexer(store: store).run()
            // Vectors queued for deletion went with the old collection.
            while let batch = try? store.pendingVectorCleanups(limit: 500), !batch.isEmpty {
                for item in batch { try store.vectorCleanupDone(documentID: item.documentID) }
            }
            return (documents, chunks)
        } catch {
            throw PipelineError.from(error)
        }
    }
}

/// Fills the keyword terms of every ready document indexed by another tokenizer version
/// (or never, as after migration 3): one document per transaction, so it can be stopped
/// and resumed at any point and searches keep working meanwhile. Needs only PostgreSQL.
public struct KeywordReindexer {
    let store: DocumentStore

    public init(store: DocumentStore) {
        self.store = store
    }

    /// Returns (documents, chunks) indexed; `progress` is called after each document.
    public func run(progress: (Int, Int) -> Void = { _, _ in }) throws(PipelineError) -> (documents: Int, chunks: Int) {
        do {
            var documents = 0, chunks = 0
            while true {
                let batch = try store.documentsNeedingKeywordIndex(version: SearchTokenizer.version, limit: 100)
                if batch.isEmpty { break }
                for document in batch {
                    let rows = try store.allChunks(documentID: document.id, tenant: document.tenant)
                    let terms = KeywordTerms.of(rows.map { (id: $0.id, text: $0.text) }, title: document.title)
                    // A document deleted meanwhile is simply skipped.
                    if try store.replaceTerms(documentID: document.id, tenant: document.tenant, terms: terms,
                                              keywordVersion: SearchTokenizer.version) {
                        documents += 1
                        chunks += rows.count
                        progress(documents, chunks)
                    }
                }
            }
            return (documents, chunks)
        } catch {
            throw PipelineError.from(error)
        }
    }
}
