import Logging
import RagdAnswer
import RagdAuth
import RagdCache
import RagdConfig
import RagdCore
import RagdCurl
import RagdEmbedding
import RagdLLM
import RagdMetrics
import RagdMilvus
import RagdPipeline
import RagdPostgres
import RagdRerank
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
    let answerer: Answerer

    /// `redis`: this thread's Redis, for the query-embedding cache.
    init(_ settings: Settings, chunker: Chunker, redis: CacheRedis) throws {
        store = DocumentStore(connection: try PostgresConnection(
            url: settings.databaseURL.reveal(),
            options: .init(connectTimeout: .seconds(5), statementTimeout: settings.databaseStatementTimeout)))
        milvus = try MilvusClient(configuration: APIContext.milvusConfiguration(settings))
        embedder = try APIContext.makeEmbedder(settings)
        ingestor = Ingestor(store: store, milvus: milvus, embedder: embedder, collection: settings.milvusCollection, chunker: chunker)
        // Queries repeat; their embeddings are cached when they cost a remote call. The
        // local embedder is cheaper than a Redis round trip, so it is never cached.
        var queryEmbedder = embedder
        if settings.embeddingProvider == .openai && settings.embeddingCacheTTL > .zero {
            queryEmbedder = CachingEmbedder(base: embedder, redis: redis, ttl: settings.embeddingCacheTTL) { outcome, count in
                MetricsRecorder.current?.recordCache("embedding", result: outcome.rawValue, count: count)
            }
        }
        retriever = Retriever(store: store, milvus: milvus, embedder: queryEmbedder, collection: settings.milvusCollection,
                              fusion: FusionSettings(candidates: settings.searchCandidates, rrfK: settings.searchRRFK,
                                                     vectorWeight: settings.searchVectorWeight,
                                                     keywordWeight: settings.searchKeywordWeight,
                                                     titleWeight: settings.searchTitleWeight,
                                                     sectionWeight: settings.searchSectionWeight))
        answerer = Answerer(retriever: retriever, reranker: try APIContext.makeReranker(settings),
                            chat: try APIContext.makeChatClient(settings))
    }
}

/// What the `/v1` routes share within a worker.
final class APIContext: @unchecked Sendable {
    let settings: Settings
    let guardian: APIGuard
    private let backends: ThreadLocal<ThreadBackends>
    private let redis: ThreadLocal<CacheRedis>
    private let collectionLock = PThreadMutex()
    private var collectionReady = false
    private let logger = Logger(label: "ragd.api")

    init(settings: Settings) throws {
        self.settings = settings
        guardian = APIGuard(authenticator: Authenticator(secret: settings.secretKey.reveal()))
        let chunker = try Chunker(size: settings.chunkSize, overlap: settings.chunkOverlap)
        let redisURL = settings.redisURL.reveal()
        let logger = Logger(label: "ragd.redis")
        redis = ThreadLocal {
            let redis = CacheRedis(url: redisURL)
            redis.onAvailabilityChange = { available, error in
                if available {
                    logger.notice("Redis reachable again; caches and rate limits are back")
                } else {
                    logger.warning("Redis unavailable; caches bypassed, rate limits fail open or closed per RATE_LIMIT_FAIL_OPEN",
                                   metadata: ["error": .string(error.map { String(describing: $0) } ?? "unknown")])
                }
            }
            return redis
        }
        let redis = redis
        backends = ThreadLocal { try ThreadBackends(settings, chunker: chunker, redis: try redis.get()) }
    }

    /// This thread's Redis for caches and rate limits (never fails: an unreachable Redis
    /// makes its calls return nil, see `CacheRedis`).
    func cacheRedis() -> CacheRedis {
        // The make closure cannot throw, so neither can get().
        try! redis.get()
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

    /// The chat client, or nil without `LLM_API_KEY` (answers are then extractive).
    static func makeChatClient(_ settings: Settings) throws -> ChatClient? {
        guard let key = settings.llmAPIKey else { return nil }
        return try ChatClient(configuration: ChatClient.Configuration(
            baseURL: settings.llmBaseURL, apiKey: key.reveal(), model: settings.llmModel,
            timeout: settings.llmTimeout, maxRetries: settings.llmMaxRetries))
    }

    /// The reranker at `RERANK_URL`, or nil (fused order).
    static func makeReranker(_ settings: Settings) throws -> Reranker? {
        guard let url = settings.rerankURL else { return nil }
        return try HTTPReranker(url: url, apiKey: settings.rerankAPIKey?.reveal(), model: settings.rerankModel,
                                timeout: settings.rerankTimeout)
    }

    static func makeEmbedder(_ settings: Settings) throws -> Embedder {
        switch settings.embeddingProvider {
        case .local:
            return try LocalHashingEmbedder(dimension: settings.embeddingDimension)
        case .openai:
            return try OpenAICompatibleEmbedder(
                baseURL: settings.effectiveEmbeddingBaseURL, apiKey: settings.effectiveEmbeddingAPIKey?.reveal(),
                model: settings.effectiveEmbeddingModel, dimension: settings.embeddingDimension,
                batchSize: settings.embeddingBatchSize, timeout: settings.embeddingTimeout,
                prefixes: EmbeddingPrefixes(document: settings.embeddingDocumentPrefix, query: settings.embeddingQueryPrefix))
        }
    }
}
