#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Settings {
    /// The dotenv file read when `ENV_FILE` is not set: `.env` in the current directory.
    public static let defaultEnvFile = ".env"

    /// Loads and validates the settings from `environment` and the dotenv file.
    ///
    /// `ENV_FILE` is taken from `environment` only: unset means `.env` in
    /// `currentDirectory` (skipped when absent), a path means that file (an error when
    /// absent; relative paths and `~/` are resolved), empty means no file. Every other
    /// variable is taken from `environment` when present there (even if empty), else from
    /// the file, else its default. `${NAME}` in the file is expanded (see `DotEnv`).
    ///
    /// - Parameters:
    ///   - environment: the process environment, or a dictionary in tests.
    ///   - currentDirectory: where `.env` and relative `ENV_FILE` paths are looked up;
    ///     nil means the process's current directory.
    /// - Throws: `ConfigurationError` listing every problem found, one per variable and
    ///   bad value, without secret values.
    public static func load(
        environment: [String: String], currentDirectory: String? = nil
    ) throws(ConfigurationError) -> Settings {
        var problems: [ConfigurationProblem] = []
        var fileValues: [String: String] = [:]
        var loadedPath: String?
        let envFile = resolveEnvFile(environment: environment, currentDirectory: currentDirectory)
        if let envFile {
            switch readTextFile(envFile.path, required: envFile.explicit) {
            case .success(let text?):
                loadedPath = envFile.path
                let dotenv = DotEnv.parse(text, environment: environment)
                fileValues = dotenv.values
                for error in dotenv.errors {
                    problems.append(ConfigurationProblem(
                        key: "ENV_FILE", message: "\(envFile.path) \(error)", code: .envFileSyntax))
                }
            case .success(nil):
                break
            case .failure(let invalid):
                problems.append(ConfigurationProblem(key: "ENV_FILE", message: invalid.message, code: .envFile))
            }
        }
        var reader = SettingsReader(environment: environment, file: fileValues)
        var settings = readSettings(&reader)
        settings.envFilePath = loadedPath
        settings.envFileFromEnvironment = envFile?.explicit ?? (environment["ENV_FILE"] != nil)
        settings.sources = reader.sources
        problems += reader.problems
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        return settings
    }

    /// `load(environment:currentDirectory:)` with this process's environment and current
    /// directory: what `ragd` calls at start-up.
    public static func loadFromProcess() throws(ConfigurationError) -> Settings {
        try load(environment: ProcessInfo.processInfo.environment, currentDirectory: nil)
    }

    // MARK: Reading the variables

    /// Reads every variable in `describe()` order.
    private static func readSettings(_ r: inout SettingsReader) -> Settings {
        var s = Settings(secretKey: Secret(""), databaseURL: .unset, redisURL: .unset)
        s.appName = r.string("APP_NAME", default: s.appName)
        s.debug = r.bool("DEBUG", default: s.debug)
        // nil when ENVIRONMENT itself is bad: the checks that depend on it are then skipped
        // rather than guessed.
        let environment = r.choice("ENVIRONMENT", default: s.environment)
        s.environment = environment ?? s.environment
        s.logLevel = r.choice("LOG_LEVEL", default: s.logLevel) ?? s.logLevel

        let secretHint = "a random string of at least 32 characters, e.g. from `openssl rand -hex 32`"
        if let secret = r.raw("SECRET_KEY"), !secret.isEmpty {
            s.secretKey = Secret(secret)
            if environment == .production, s.secretKey.count < 32 {
                r.report("SECRET_KEY", "must be at least 32 characters in production (got \(s.secretKey.count))")
            }
        } else {
            r.report("SECRET_KEY", "is required (\(secretHint))", .missing)
        }

        if let text = r.raw("ALLOWED_ORIGINS") {
            switch WebAddress.originList(text) {
            case .failure(let invalid):
                r.report("ALLOWED_ORIGINS", invalid.message)
            case .success(let items):
                var origins: [String] = []
                for item in items {
                    switch WebAddress.origin(item) {
                    case .success(let origin): if !origins.contains(origin) { origins.append(origin) }
                    case .failure(let invalid): r.report("ALLOWED_ORIGINS", invalid.message)
                    }
                }
                s.allowedOrigins = origins
            }
        }

        s.databaseURL = readConnectionURL(&r, .postgres)
        s.redisURL = readConnectionURL(&r, .redis)

        s.milvusHost = r.string("MILVUS_HOST", default: s.milvusHost)
        s.milvusPort = r.integer("MILVUS_PORT", default: s.milvusPort, range: 1...65535)

        s.llmAPIKey = r.optionalSecret("LLM_API_KEY")
        if let text = r.raw("LLM_BASE_URL") {
            switch WebAddress.baseURL(text) {
            case .success(let url): s.llmBaseURL = url
            case .failure(let invalid): r.report("LLM_BASE_URL", invalid.message)
            }
        }
        s.llmModel = r.string("LLM_MODEL", default: s.llmModel)
        s.llmTimeout = r.seconds("LLM_TIMEOUT", default: 60, allowZero: false)
        s.llmMaxRetries = r.integer("LLM_MAX_RETRIES", default: s.llmMaxRetries, range: 0...10)
        s.llmMaxTokens = r.integer("LLM_MAX_TOKENS", default: s.llmMaxTokens, range: 1...32768)
        s.rerankURL = r.optionalWebAddress("RERANK_URL")
        s.rerankAPIKey = r.optionalSecret("RERANK_API_KEY")
        s.rerankModel = r.optionalText("RERANK_MODEL")
        s.rerankTimeout = r.seconds("RERANK_TIMEOUT", default: 10, allowZero: false)
        s.rateLimitPerMinute = r.integer("RATE_LIMIT_PER_MINUTE", default: s.rateLimitPerMinute, range: 1...Int.max)
        s.rateLimitFailOpen = r.bool("RATE_LIMIT_FAIL_OPEN", default: s.rateLimitFailOpen)
        s.cacheTTL = r.seconds("CACHE_TTL_SECONDS", default: 3600, allowZero: true)
        s.embeddingCacheTTL = r.seconds("EMBEDDING_CACHE_TTL_SECONDS", default: 604_800, allowZero: true)
        s.sseHeartbeat = r.seconds("SSE_HEARTBEAT_SECONDS", default: 10, allowZero: false)

        s.embeddingProvider = r.choice("EMBEDDING_PROVIDER", default: s.embeddingProvider) ?? s.embeddingProvider
        s.embeddingBaseURL = r.optionalWebAddress("EMBEDDING_BASE_URL")
        s.embeddingAPIKey = r.optionalSecret("EMBEDDING_API_KEY")
        s.embeddingModel = r.optionalText("EMBEDDING_MODEL")
        s.embeddingDimension = r.integer("EMBEDDING_DIMENSION", default: s.embeddingDimension, range: 8...4096)
        s.embeddingBatchSize = r.integer("EMBEDDING_BATCH_SIZE", default: s.embeddingBatchSize, range: 1...2048)
        s.embeddingTimeout = r.seconds("EMBEDDING_TIMEOUT", default: 30, allowZero: false)
        s.embeddingQueryPrefix = r.inputPrefix("EMBEDDING_QUERY_PREFIX")
        s.embeddingDocumentPrefix = r.inputPrefix("EMBEDDING_DOCUMENT_PREFIX")
        s.searchCandidates = r.integer("SEARCH_CANDIDATES", default: s.searchCandidates, range: 5...500)
        s.searchRRFK = r.decimal("SEARCH_RRF_K", default: s.searchRRFK, range: 0...1000)
        s.searchVectorWeight = r.decimal("SEARCH_VECTOR_WEIGHT", default: s.searchVectorWeight, range: 0...10)
        s.searchKeywordWeight = r.decimal("SEARCH_KEYWORD_WEIGHT", default: s.searchKeywordWeight, range: 0...10)
        s.searchTitleWeight = r.decimal("SEARCH_TITLE_WEIGHT", default: s.searchTitleWeight, range: 0...10)
        s.searchSectionWeight = r.decimal("SEARCH_SECTION_WEIGHT", default: s.searchSectionWeight, range: 0...10)
        if s.searchVectorWeight == 0 && s.searchKeywordWeight == 0 {
            r.report("SEARCH_KEYWORD_WEIGHT", "and SEARCH_VECTOR_WEIGHT must not both be 0")
        }
        s.chunkSize = r.integer("CHUNK_SIZE", default: s.chunkSize, range: 100...20000)
        s.chunkOverlap = r.integer("CHUNK_OVERLAP", default: s.chunkOverlap, range: 0...19999)
        if s.chunkOverlap >= s.chunkSize {
            r.report("CHUNK_OVERLAP", "\(s.chunkOverlap) must be less than CHUNK_SIZE (\(s.chunkSize))")
        }
        s.milvusCollection = r.string("MILVUS_COLLECTION", default: s.milvusCollection)
        if !Self.isCollectionName(s.milvusCollection) {
            r.report("MILVUS_COLLECTION", "\(shown(s.milvusCollection)) is not a collection name (letters, digits and _, starting with a letter or _, at most 255)")
        }
        s.milvusManagementPort = r.integer("MILVUS_MANAGEMENT_PORT", default: s.milvusManagementPort, range: 1...65535)
        s.ingestBatchSize = r.integer("INGEST_BATCH_SIZE", default: s.ingestBatchSize, range: 1...64)
        s.milvusInsertBatch = r.integer("MILVUS_INSERT_BATCH", default: s.milvusInsertBatch, range: 1...10000)
        s.milvusTimeout = r.seconds("MILVUS_TIMEOUT", default: 10, allowZero: false)
        s.databaseStatementTimeout = r.seconds("DATABASE_STATEMENT_TIMEOUT", default: 30, allowZero: false)
        s.migrateOnStart = r.bool("MIGRATE_ON_START", default: s.migrateOnStart)

        if let text = r.raw("FCGI_LISTEN") {
            switch ListenAddress.parse(text.trimmingWhitespace()) {
            case .success(let address): s.fcgiListen = address
            case .failure(let error): r.report("FCGI_LISTEN", error.message, error.notAllowed ? .notAllowed : .invalid)
            }
        }
        if let text = r.raw("FCGI_SOCKET_MODE") {
            let digits = text.trimmingWhitespace()
            let body = digits.hasPrefix("0o") ? digits.dropFirst(2) : Substring(digits)
            if (3...4).contains(body.count), body.allSatisfy({ ("0"..."7").contains($0) }),
               let mode = UInt32(body, radix: 8) {
                s.fcgiSocketMode = mode
            } else {
                r.report("FCGI_SOCKET_MODE", "\(shown(text)) is not an octal file mode (expected e.g. 0660 or 0600)")
            }
        }
        if let text = r.raw("FCGI_SOCKET_OWNER"), !text.trimmingWhitespace().isEmpty {
            if let owner = SocketOwner(parsing: text.trimmingWhitespace()) {
                s.fcgiSocketOwner = owner
            } else {
                r.report("FCGI_SOCKET_OWNER", "\(shown(text)) is not user[:group] or :group (names or numeric ids)")
            }
        }
        s.backlog = r.integer("BACKLOG", default: s.backlog, range: 1...65535)
        s.workers = r.integer("WORKERS", default: s.workers, range: 1...256)
        s.threads = r.integer("THREADS", default: s.threads, range: 1...256)
        s.gracefulTimeout = r.seconds("GRACEFUL_TIMEOUT", default: 30, allowZero: false)
        s.workerTimeout = r.seconds("WORKER_TIMEOUT", default: 30, allowZero: false)
        let requestTimeout = r.seconds("REQUEST_TIMEOUT", default: 300, allowZero: true)
        s.requestTimeout = requestTimeout == .zero ? nil : requestTimeout
        s.healthCheckTimeout = r.seconds("HEALTH_CHECK_TIMEOUT", default: 2, allowZero: false)
        s.maxRequests = r.integer("MAX_REQUESTS", default: s.maxRequests, range: 0...Int.max)
        s.maxRequestsJitter = r.integer("MAX_REQUESTS_JITTER", default: s.maxRequestsJitter, range: 0...Int.max)
        s.maxBodyBytes = r.integer("MAX_BODY_BYTES", default: s.maxBodyBytes, range: 1...Int.max)
        s.metricsEnabled = r.bool("METRICS_ENABLED", default: s.metricsEnabled)
        s.enableTestRoutes = r.bool("ENABLE_TEST_ROUTES", default: s.enableTestRoutes)
        if s.enableTestRoutes, environment == .production {
            r.report("ENABLE_TEST_ROUTES",
                     "must not be true when ENVIRONMENT=production (test-only routes must never be reachable in production)",
                     .notAllowed)
        }
        return s
    }

    static func isCollectionName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 255,
              first == "_" || ("a"..."z").contains(first) || ("A"..."Z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    private static func readConnectionURL(_ r: inout SettingsReader, _ kind: ConnectionURL.Kind) -> ConnectionURL {
        let key = kind.variable
        guard let text = r.raw(key), !text.trimmingWhitespace().isEmpty else {
            r.report(key, "is required (expected \(kind.example))", .missing)
            return .unset
        }
        switch ConnectionURL.parse(text.trimmingWhitespace(), kind) {
        case .success(let url):
            return url
        case .failure(let invalid):
            // The message never echoes the URL: any part of a malformed URL may be a password.
            r.report(key, invalid.message)
            return .unset
        }
    }

    // MARK: The dotenv file (the only file IO of this module)

    private struct EnvFile {
        var path: String
        /// Named by `ENV_FILE`, so it must exist.
        var explicit: Bool
    }

    private static func resolveEnvFile(environment: [String: String], currentDirectory: String?) -> EnvFile? {
        let named = environment["ENV_FILE"]
            ?? environment.first(where: { $0.key.uppercased() == "ENV_FILE" })?.value
        if let named, named.isEmpty { return nil }
        var path = named ?? defaultEnvFile
        if path == "~" || path.hasPrefix("~/"), let home = environment["HOME"] {
            path = home + path.dropFirst()
        }
        if !path.hasPrefix("/") {
            let directory = currentDirectory ?? FileManager.default.currentDirectoryPath
            path = directory.hasSuffix("/") ? directory + path : directory + "/" + path
        }
        return EnvFile(path: path, explicit: named != nil)
    }

    /// The file's text; `.success(nil)` when an optional file is absent.
    private static func readTextFile(_ path: String, required: Bool) -> Result<String?, Invalid> {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return required ? .failure("file \(shown(path)) does not exist") : .success(nil)
        }
        if isDirectory {
            return .failure("\(shown(path)) is a directory, not a dotenv file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure("file \(shown(path)) cannot be read (check its permissions)")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            return .failure("file \(shown(path)) is not valid UTF-8")
        }
        return .success(text)
    }
}
