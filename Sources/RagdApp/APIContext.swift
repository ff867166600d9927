import Logging
import RagdAuth
import RagdConfig
import RagdCore
import RagdCurl
import RagdEmbedding
import RagdMilvus
import RagdPipeline
import RagdPostgres
import RagdStore
import RagdText

/// The backend handles of one serving thread: libpq, curl and Milvus clients are not
/// shareable, so each thread makes its own on first use (after fork, never inherited).
final class ThreadBackends {
    let store: DocumentStore
    let milvus: MilvusClient
    let embedder: Embedder
    let ingestor: Ingestor
    let retriever: Retriever

    init(_ settings: Settings, chunker: Chunker) throws {
        store = DocumentStore(connection: try PostgresConnection(
            url: settings.databaseURL.reveal(),
            options: .init(connectTimeout: .seconds(5), statementTimeout: settings.databaseStatementTimeout)))
        milvus = try MilvusClient(configuration: APIContext.milvusConfiguration(settings))
        embedder = try APIContext.makeEmbedder(settings)
        ingestor = Ingestor(store: store, milvus: milvus, embedder: embedder, collection: settings.milvusCollection, chunker: chunker)
        retriever = Retriever(store: store, milvus: milvus, embedder: embedder, collection: settings.milvusCollection)
    }
}

/// What the `/v1` routes share within a worker.
final class APIContext: @unchecked Sendable {
    let settings: Settings
    let guardian: APIGuard
    private let backends: ThreadLocal<ThreadBackends>
    private let collectionLock = PThreadMutex()
    private var collectionReady = false
    private let logger = Logger(label: "ragd.api")

    init(settings: Settings) throws {
        self.settings = settings
        guardian = APIGuard(authenticator: Authenticator(secret: settings.secretKey.reveal()))
        let chunker = try Chunker(size: settings.chunkSize, overlap: settings.chunkOverlap)
        backends = ThreadLocal { try ThreadBackends(settings, chunker: chunker) }
    }

    /// This thread's backends, with the Milvus collection ensured once per worker. A
    /// dimension mismatch is a boot error (see `prepareCollection`); Milvus being down is
    /// not: the request gets 503 and the next one tries again.
    func threadBackends() throws -> ThreadBackends {
        let backends = try self.backends.get()
        if !collectionLock.withLock({ collectionReady }) {
            do {
                try backends.milvus.ensureCollection(name: settings.milvusCollection, dimension: settings.embeddingDimension)
                collectionLock.withLock { collectionReady = true }
            } catch {
                throw PipelineError.from(error)
            }
        }
        return backends
    }

    /// Run at worker boot: creates the collection, or fails the boot when the existing one
    /// has another dimension (that needs an operator: `ragd reindex` or another collection).
    func prepareCollection() throws {
        do {
            // A client of its own: the boot thread serves no requests, so it gets no backends.
            try MilvusClient(configuration: Self.milvusConfiguration(settings))
                .ensureCollection(name: settings.milvusCollection, dimension: settings.embeddingDimension)
            collectionLock.withLock { collectionReady = true }
        } catch where error.code == .dimensionMismatch {
            throw BootError("MILVUS_COLLECTION/EMBEDDING_DIMENSION: \(error.message)")
        } catch {
            logger.warning("Milvus collection not ready at boot; retrying on first use",
                           metadata: ["error": .string(String(describing: error))])
        }
    }

    static func milvusConfiguration(_ settings: Settings) -> MilvusClient.Configuration {
        MilvusClient.Configuration(host: settings.milvusHost, port: settings.milvusPort,
                                   managementPort: settings.milvusManagementPort, requestTimeout: settings.milvusTimeout,
                                   insertBatchSize: settings.milvusInsertBatch)
    }

    static func makeEmbedder(_ settings: Settings) throws -> Embedder {
        switch settings.embeddingProvider {
        case .local:
            return try LocalHashingEmbedder(dimension: settings.embeddingDimension)
        case .openai:
            return try OpenAICompatibleEmbedder(
                baseURL: settings.effectiveEmbeddingBaseURL, apiKey: settings.effectiveEmbeddingAPIKey?.reveal(),
                model: settings.effectiveEmbeddingModel, dimension: settings.embeddingDimension,
                batchSize: settings.embeddingBatchSize, timeout: settings.embeddingTimeout)
        }
    }
}
