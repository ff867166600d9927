#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Every setting ragd reads, typed and validated. Load it with
/// `Settings.load(environment:currentDirectory:)` or `Settings.loadFromProcess()`; both
/// read the variables below from the environment and from a dotenv file (`ENV_FILE`,
/// default `.env`), the environment winning, as pydantic-settings does.
///
/// Names are matched case-insensitively (an exact upper-case name wins), like
/// pydantic-settings' default. Secrets (`SECRET_KEY`, `LLM_API_KEY`, the passwords in
/// `DATABASE_URL`/`REDIS_URL`) are `Secret`/`ConnectionURL` values that print masked, and
/// printing `Settings` itself gives the masked `describe()` listing.
public struct Settings: Sendable {
    // MARK: Application

    /// `APP_NAME`: shown in logs and the API. Default `"Enterprise RAG"`.
    public var appName: String = "Enterprise RAG"
    /// `DEBUG`: verbose error details for development. Default `false`.
    public var debug: Bool = false
    /// `ENVIRONMENT`: development, staging, production or test. Default `.production`.
    public var environment: DeploymentEnvironment = .production
    /// `LOG_LEVEL`: trace, debug, info, notice, warning, error or critical. Default `.info`.
    public var logLevel: LogLevel = .info
    /// `SECRET_KEY`: signing key. Required; at least 32 characters in production.
    public var secretKey: Secret
    /// `ALLOWED_ORIGINS`: CORS origins, a JSON list or comma-separated; each normalized to
    /// `scheme://host[:port]` (lower case, default port and trailing `/` dropped); empty list
    /// allows no cross-origin requests. Default `["https://yourapp.com"]`.
    public var allowedOrigins: [String] = ["https://yourapp.com"]

    // MARK: Backends

    /// `DATABASE_URL`: `postgres://` or `postgresql://` URL (libpq syntax, several hosts
    /// allowed). Required.
    public var databaseURL: ConnectionURL
    /// `REDIS_URL`: `redis://` or `rediss://` (TLS) URL with a host; its path, if any, is the
    /// database number. Required.
    public var redisURL: ConnectionURL
    /// `MILVUS_HOST`: Milvus host name or address. Default `"milvus"`.
    public var milvusHost: String = "milvus"
    /// `MILVUS_PORT`: Milvus port, 1...65535. Default `19530`.
    public var milvusPort: Int = 19530

    // MARK: LLM

    /// `LLM_API_KEY`: key for the OpenAI-compatible chat API; empty or absent means none
    /// (answers are then extractive). Default `nil`.
    public var llmAPIKey: Secret?
    /// `LLM_BASE_URL`: http(s) base URL of the chat API, without trailing `/`.
    /// Default `"https://api.deepseek.com/v1"`.
    public var llmBaseURL: String = "https://api.deepseek.com/v1"
    /// `LLM_MODEL`: chat model name. Default `"deepseek-chat"`.
    public var llmModel: String = "deepseek-chat"
    /// `LLM_TIMEOUT`: seconds one chat-completion attempt may take, streaming included.
    /// Default 60 s.
    public var llmTimeout: Duration = .seconds(60)
    /// `LLM_MAX_RETRIES`: retries of a chat request answered 429/5xx or not reachable,
    /// before the first token only, 0...10. Default `3`.
    public var llmMaxRetries: Int = 2
    /// `LLM_MAX_TOKENS`: completion tokens per answer: asked for when a query does not say,
    /// and the most a query may ask for (`max_tokens`), 1...32768. Default `1024`.
    public var llmMaxTokens: Int = 1024
    /// `RERANK_URL`: full URL of a rerank endpoint (TEI, Jina or Cohere style `POST /rerank`);
    /// absent means passages keep their fused (RRF) order. Default `nil`.
    public var rerankURL: String?
    /// `RERANK_API_KEY`: bearer key for `RERANK_URL`. Default `nil` (none sent).
    public var rerankAPIKey: Secret?
    /// `RERANK_MODEL`: model name sent to the rerank API. Default `nil` (not sent).
    public var rerankModel: String?
    /// `RERANK_TIMEOUT`: seconds one rerank request may take. Default 10 s.
    public var rerankTimeout: Duration = .seconds(10)
    /// `RATE_LIMIT_PER_MINUTE`: requests per client per minute, >= 1. Default `100`.
    public var rateLimitPerMinute: Int = 100
    /// `RATE_LIMIT_FAIL_OPEN`: when Redis cannot be reached, admit requests (true, counted
    /// in `rag_rate_limit_fail_open_total`) or refuse them with 503 (false). Default `true`.
    public var rateLimitFailOpen: Bool = true
    /// `CACHE_TTL_SECONDS`: how long an answer stays cached in Redis; 0 turns the answer
    /// cache off. Default 3600 s.
    public var cacheTTL: Duration = .seconds(3600)
    /// `EMBEDDING_CACHE_TTL_SECONDS`: how long a query embedding stays cached in Redis; 0
    /// turns the embedding cache off. Default 604800 s (7 days).
    public var embeddingCacheTTL: Duration = .seconds(604_800)
    /// `SSE_HEARTBEAT_SECONDS`: idle interval after which a streamed answer sends a comment
    /// line, so proxies keep the connection. Default 10 s.
    public var sseHeartbeat: Duration = .seconds(10)

    // MARK: Ingestion and retrieval

    /// `EMBEDDING_PROVIDER`: `local` (built in, lexical, no network) or `openai` (any
    /// OpenAI-compatible `/embeddings` API). Default `.local`.
    public var embeddingProvider: EmbeddingProvider = .local
    /// `EMBEDDING_BASE_URL`: base URL of the embeddings API. Default: `LLM_BASE_URL`.
    public var embeddingBaseURL: String?
    /// `EMBEDDING_API_KEY`: key for the embeddings API. Default: `LLM_API_KEY`.
    public var embeddingAPIKey: Secret?
    /// `EMBEDDING_MODEL`: embedding model name. Default `"text-embedding-3-small"` for
    /// `openai`, `"ragd-hashing-v1"` for `local`.
    public var embeddingModel: String?
    /// `EMBEDDING_DIMENSION`: vector size, 8...4096; must match the Milvus collection.
    /// Default `384`.
    public var embeddingDimension: Int = 384
    /// `EMBEDDING_BATCH_SIZE`: texts per embeddings request, 1...2048. Default `64`.
    public var embeddingBatchSize: Int = 64
    /// `EMBEDDING_TIMEOUT`: seconds one embeddings request may take. Default 30 s.
    public var embeddingTimeout: Duration = .seconds(30)
    /// `EMBEDDING_QUERY_PREFIX`: text put before every search query sent to the embeddings
    /// API (`"query: "` for the e5 family), taken as written. Default `""`.
    public var embeddingQueryPrefix: String = ""
    /// `EMBEDDING_DOCUMENT_PREFIX`: text put before every stored passage sent to the
    /// embeddings API (`"passage: "` for e5), taken as written. Default `""`.
    public var embeddingDocumentPrefix: String = ""
    /// `SEARCH_CANDIDATES`: chunks each search leg (vector, keyword) hands to fusion,
    /// 5...500 (at least `top_k`). Default `30`.
    public var searchCandidates: Int = 30
    /// `SEARCH_RRF_K`: the reciprocal-rank-fusion constant: small values favour the top
    /// of each leg, large ones flatten ranks, 0...1000. Default `5`.
    public var searchRRFK: Double = 5
    /// `SEARCH_VECTOR_WEIGHT`: weight of the vector leg in fusion, 0...10. Default `1`.
    public var searchVectorWeight: Double = 1
    /// `SEARCH_KEYWORD_WEIGHT`: weight of the keyword (BM25) leg in fusion, 0...10. Default `3`.
    public var searchKeywordWeight: Double = 3
    /// `SEARCH_TITLE_WEIGHT`: weight in fusion of the documents ranked by BM25 over their
    /// titles (each candidate chunk of a ranked document gains it), 0...10; 0 turns the
    /// leg off. Default `1.5`.
    public var searchTitleWeight: Double = 1.5
    /// `SEARCH_SECTION_WEIGHT`: the same for documents ranked by BM25 over their whole
    /// text (title and every chunk), 0...10. Default `0.5`.
    public var searchSectionWeight: Double = 0.5
    /// `CHUNK_SIZE`: most characters in one chunk, 100...20000. Default `800`.
    public var chunkSize: Int = 800
    /// `CHUNK_OVERLAP`: characters repeated between neighbouring chunks, less than
    /// `CHUNK_SIZE`. Default `120`.
    public var chunkOverlap: Int = 120
    /// `MILVUS_COLLECTION`: the collection holding the vectors. Default `"ragd_chunks"`.
    public var milvusCollection: String = "ragd_chunks"
    /// `MILVUS_MANAGEMENT_PORT`: Milvus's management HTTP port (health, and loading a
    /// released collection, which REST v1 cannot do). Default `9091`.
    public var milvusManagementPort: Int = 9091
    /// `INGEST_BATCH_SIZE`: background jobs of one tenant a job runner ingests together
    /// (one Milvus visibility wait, one PostgreSQL transaction), 1...64; 1 ingests each job
    /// alone. Default `32`.
    public var ingestBatchSize: Int = 32
    /// `MILVUS_INSERT_BATCH`: vectors per Milvus insert request, 1...10000. Default `500`.
    public var milvusInsertBatch: Int = 500
    /// `MILVUS_TIMEOUT`: seconds one Milvus request may take. Default 10 s.
    public var milvusTimeout: Duration = .seconds(10)
    /// `DATABASE_STATEMENT_TIMEOUT`: PostgreSQL `statement_timeout` in seconds. Default 30 s.
    public var databaseStatementTimeout: Duration = .seconds(30)
    /// `MIGRATE_ON_START`: apply database migrations when `ragd serve` starts (safe with
    /// several pods: an advisory lock serializes them). Default `false`; `ragd migrate`
    /// applies them explicitly.
    public var migrateOnStart: Bool = false

    // MARK: Server

    /// `FCGI_LISTEN`: where the FastCGI listener binds. Default `.unix(path: "/run/ragd/ragd.sock")`.
    public var fcgiListen: ListenAddress = Settings.defaultFCGIListen
    /// Where ragd listens when `FCGI_LISTEN` is not set (also `ragd probe`'s fallback).
    public static let defaultFCGIListen = ListenAddress.unix(path: "/run/ragd/ragd.sock")
    /// `FCGI_SOCKET_MODE`: permissions of the unix socket, octal (`0600`, `660`, ...).
    /// Default `0o660`.
    public var fcgiSocketMode: UInt32 = 0o660
    /// `FCGI_SOCKET_OWNER`: `user[:group]` or `:group` to chown the unix socket to, names or
    /// numeric ids, unresolved. Default `nil` (keep the master's).
    public var fcgiSocketOwner: SocketOwner?
    /// `BACKLOG`: listen(2) backlog, 1...65535. Default `1024`.
    public var backlog: Int = 1024
    /// `WORKERS`: worker processes, 1...256. Default: the number of online CPUs (clamped to 1...256).
    public var workers: Int = Settings.defaultWorkers
    /// `THREADS`: accepting threads per worker, 1...256. Default `4`.
    public var threads: Int = 4
    /// `GRACEFUL_TIMEOUT`: seconds a stopping worker may take to finish in-flight requests
    /// before it is killed, > 0. Default 30 s.
    public var gracefulTimeout: Duration = .seconds(30)
    /// `WORKER_TIMEOUT`: seconds without a heartbeat after which the master kills a worker,
    /// > 0. Default 30 s.
    public var workerTimeout: Duration = .seconds(30)
    /// `REQUEST_TIMEOUT`: seconds one request may run; `0` in the environment disables it
    /// (`nil` here). Default 300 s.
    public var requestTimeout: Duration? = .seconds(300)
    /// `HEALTH_CHECK_TIMEOUT`: timeout of each readiness check (database, Redis, Milvus),
    /// > 0. Default 2 s.
    public var healthCheckTimeout: Duration = .seconds(2)
    /// `MAX_REQUESTS`: a worker is recycled after this many requests; `0` never. Default `0`.
    public var maxRequests: Int = 0
    /// `MAX_REQUESTS_JITTER`: random 0...jitter added to `maxRequests` per worker so workers
    /// do not restart together, >= 0. Default `0`.
    public var maxRequestsJitter: Int = 0
    /// `MAX_BODY_BYTES`: largest request body accepted, >= 1. Default `52428800` (50 MiB).
    public var maxBodyBytes: Int = 52_428_800
    /// `METRICS_ENABLED`: record request metrics in shared memory for `/metrics`; off only
    /// to measure what recording costs. Default `true`.
    public var metricsEnabled: Bool = true
    /// `ENABLE_TEST_ROUTES`: mount test-only routes; refused when `ENVIRONMENT=production`.
    /// Default `false`.
    public var enableTestRoutes: Bool = false

    // MARK: Provenance

    /// `ENV_FILE` as resolved: the dotenv file that was read, or nil when none was (the
    /// default `.env` was absent or `ENV_FILE` was empty).
    public var envFilePath: String?
    /// Where each variable's value came from, by variable name; absent means default.
    var sources: [String: ValueSource] = [:]
    /// Whether `ENV_FILE` was set in the environment (for `describe()`).
    var envFileFromEnvironment = false

    /// Settings with every default and the three required values given, for tests and tools
    /// that build settings in code instead of loading them.
    public init(secretKey: Secret, databaseURL: ConnectionURL, redisURL: ConnectionURL) {
        self.secretKey = secretKey
        self.databaseURL = databaseURL
        self.redisURL = redisURL
    }

    /// The number of online CPUs, clamped to 1...256: the default of `workers`.
    public static var defaultWorkers: Int {
        min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 256)
    }
}

extension Settings {
    /// `EMBEDDING_BASE_URL`, else `LLM_BASE_URL`.
    public var effectiveEmbeddingBaseURL: String { embeddingBaseURL ?? llmBaseURL }
    /// `EMBEDDING_API_KEY`, else `LLM_API_KEY`.
    public var effectiveEmbeddingAPIKey: Secret? { embeddingAPIKey ?? llmAPIKey }
    /// `EMBEDDING_MODEL`, else the provider's default.
    public var effectiveEmbeddingModel: String {
        embeddingModel ?? (embeddingProvider == .local ? "ragd-hashing-v1" : "text-embedding-3-small")
    }
}

/// Where a setting's effective value came from.
public enum ValueSource: String, Sendable, Equatable, CustomStringConvertible {
    /// The process environment (wins over the file).
    case environment
    /// The dotenv file.
    case envFile = "env file"
    /// The built-in default.
    case `default`

    public var description: String { rawValue }
}
