import RagdConfig
import RagdCore
import RagdHTTP
import RagdMilvus
import RagdPipeline
import RagdPool
import RagdStore
import RagdPostgres
import RagdRedis

/// Assembles a worker's request handling from the settings.
public enum RagdApplication {
    /// Builds the responder. Runs in each worker after fork, so whatever it opens (backend
    /// connections) belongs to that worker alone. Throws when the worker cannot boot.
    public static func makeResponder(settings: Settings, pool: PoolView) throws -> Responder {
        try validateForWorkers(settings: settings)
        let api = try APIContext(settings: settings)
        try api.prepareCollection()
        try IngestJanitor.start(settings: settings)
        return responder(settings: settings, pool: pool, api: api)
    }

    /// The middlewares and routes a worker serves, around `api`, with nothing started or
    /// connected: the worker's responder, and what the in-process route tests send their
    /// requests to (no nginx, no FastCGI).
    static func responder(settings: Settings, pool: any PoolReporter, api: APIContext) -> Responder {
        // CORS outermost, so that a rate-limit refusal is readable by the page that caused it;
        // the OpenAI error style inside it, so that it rewrites that refusal too.
        Responder(router: makeRouter(settings: settings, pool: pool, api: api),
                  middlewares: [CORSPolicy(allowedOrigins: settings.allowedOrigins),
                                OpenAIErrorStyle(), RateLimitPolicy(context: api)])
    }

    /// Every route. Opens nothing: backends are made per thread on first use.
    static func makeRouter(settings: Settings, pool: any PoolReporter, api: APIContext) -> Router {
        var router = Router()
        HealthRoutes.register(on: &router, readiness: Readiness(checks: readinessChecks(settings),
                                                                timeout: settings.healthCheckTimeout.inSeconds))
        PoolRoutes.register(on: &router, pool: pool)
        OpenAPIRoutes.register(on: &router)
        DocumentRoutes.register(on: &router, context: api)
        JobRoutes.register(on: &router, context: api)
        SearchRoutes.register(on: &router, context: api)
        QueryRoutes.register(on: &router, context: api)
        ChatCompletionRoutes.register(on: &router, context: api)
        if settings.enableTestRoutes {
            TestRoutes.register(on: &router)
        }
        return router
    }

    /// A reindexer on fresh connections, for `ragd reindex`.
    public static func reindexer(settings: Settings) throws -> Reindexer {
        let store = DocumentStore(connection: try PostgresConnection(url: settings.databaseURL.reveal()))
        return Reindexer(store: store, milvus: try MilvusClient(configuration: APIContext.milvusConfiguration(settings)),
                         embedder: try APIContext.makeEmbedder(settings), collection: settings.milvusCollection)
    }

    /// A keyword reindexer on a fresh PostgreSQL connection, for `ragd reindex --keyword-only`.
    public static func keywordReindexer(settings: Settings) throws -> KeywordReindexer {
        KeywordReindexer(store: DocumentStore(connection: try PostgresConnection(url: settings.databaseURL.reveal())))
    }

    /// What only the backend libraries can judge (libpq's reading of DATABASE_URL,
    /// hiredis' support for REDIS_URL); run at worker boot and by `ragd check-config`.
    public static func validateForWorkers(settings: Settings) throws {
        do {
            try PostgresConnection.validate(url: settings.databaseURL.reveal())
        } catch {
            throw BootError("DATABASE_URL: \(error.message)")
        }
        do {
            try RedisConnection.validate(url: settings.redisURL.reveal())
        } catch {
            throw BootError("REDIS_URL: \(error.message)")
        }
    }

    /// The readiness checks. Each opens its own short-lived connection: a probe then tests
    /// that a new connection can be made now, and never competes with request threads.
    static func readinessChecks(_ settings: Settings) -> [Readiness.Check] {
        let databaseURL = settings.databaseURL.reveal()
        let redisURL = settings.redisURL.reveal()
        let milvus = APIContext.milvusConfiguration(settings)
        return [
            Readiness.Check(name: "database") { timeout in
                do {
                    let connection = try PostgresConnection(url: databaseURL, options: .init(connectTimeout: .seconds(timeout)))
                    defer { connection.close() }
                    try connection.ping(timeout: .seconds(timeout))
                    return nil
                } catch {
                    return String(describing: error)
                }
            },
            Readiness.Check(name: "redis") { timeout in
                do {
                    let connection = try RedisConnection(url: redisURL, options: .init(connectTimeout: .seconds(timeout),
                                                                                       commandTimeout: .seconds(timeout)))
                    defer { connection.close() }
                    try connection.ping(timeout: .seconds(timeout))
                    return nil
                } catch {
                    return String(describing: error)
                }
            },
            Readiness.Check(name: "vector_store") { timeout in
                do {
                    var configuration = milvus
                    configuration.connectTimeout = .seconds(timeout)
                    configuration.requestTimeout = .seconds(timeout)
                    try MilvusClient(configuration: configuration).health()
                    return nil
                } catch {
                    return String(describing: error)
                }
            },
        ]
    }

}

/// Why a worker cannot start; the master logs it in its one line before stopping.
public struct BootError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
