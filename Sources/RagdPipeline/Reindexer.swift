import RagdEmbedding
import RagdMilvus
import RagdStore

/// Rebuilds the Milvus collection from PostgreSQL, the source of truth: drop, create with
/// the embedder's dimension, then embed and insert every ready document's chunks.
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
