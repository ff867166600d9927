/// One line of `ragd check-config`: a variable, its effective value as safe to show, and
/// where the value came from.
public struct SettingDescription: Sendable, Equatable, CustomStringConvertible {
    /// The environment variable, e.g. `WORKERS`.
    public var key: String
    /// The effective value with secrets masked (`********`) or `(unset)`.
    public var value: String
    /// Environment, env file or default.
    public var source: ValueSource

    /// `KEY=value (source)`.
    public var description: String { "\(key)=\(value) (\(source))" }
}

extension Settings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Every variable with its effective value and source, in a fixed order (ENV_FILE
    /// first, then as in the settings documentation). `SECRET_KEY` and `LLM_API_KEY` show as
    /// `********` (or `(unset)`), passwords in `DATABASE_URL`/`REDIS_URL` as `********`.
    public func describe() -> [SettingDescription] {
        let unset = "(unset)"
        let rows: [(String, String)] = [
            ("ENV_FILE", envFilePath ?? "(none)"),
            ("APP_NAME", appName),
            ("DEBUG", String(debug)),
            ("ENVIRONMENT", environment.rawValue),
            ("LOG_LEVEL", logLevel.rawValue),
            ("SECRET_KEY", secretKey.count == 0 ? unset : Secret.mask),
            ("ALLOWED_ORIGINS", "[" + allowedOrigins.map { quoted($0) }.joined(separator: ",") + "]"),
            ("DATABASE_URL", databaseURL.redacted.isEmpty ? unset : databaseURL.redacted),
            ("REDIS_URL", redisURL.redacted.isEmpty ? unset : redisURL.redacted),
            ("MILVUS_HOST", milvusHost),
            ("MILVUS_PORT", String(milvusPort)),
            ("LLM_API_KEY", llmAPIKey == nil ? unset : Secret.mask),
            ("LLM_BASE_URL", redacted(url: llmBaseURL)),
            ("LLM_MODEL", llmModel),
            ("LLM_TIMEOUT", Self.seconds(llmTimeout)),
            ("LLM_MAX_RETRIES", String(llmMaxRetries)),
            ("LLM_MAX_TOKENS", String(llmMaxTokens)),
            ("RERANK_URL", rerankURL.map { redacted(url: $0) } ?? unset),
            ("RERANK_API_KEY", rerankAPIKey == nil ? unset : Secret.mask),
            ("RERANK_MODEL", rerankModel ?? unset),
            ("RERANK_TIMEOUT", Self.seconds(rerankTimeout)),
            ("RATE_LIMIT_PER_MINUTE", String(rateLimitPerMinute)),
            ("RATE_LIMIT_FAIL_OPEN", String(rateLimitFailOpen)),
            ("CACHE_TTL_SECONDS", Self.seconds(cacheTTL)),
            ("EMBEDDING_CACHE_TTL_SECONDS", Self.seconds(embeddingCacheTTL)),
            ("SSE_HEARTBEAT_SECONDS", Self.seconds(sseHeartbeat)),
            ("EMBEDDING_PROVIDER", embeddingProvider.rawValue),
            ("EMBEDDING_BASE_URL", redacted(url: effectiveEmbeddingBaseURL)),
            ("EMBEDDING_API_KEY", effectiveEmbeddingAPIKey == nil ? unset : Secret.mask),
            ("EMBEDDING_MODEL", effectiveEmbeddingModel),
            ("EMBEDDING_DIMENSION", String(embeddingDimension)),
            ("EMBEDDING_BATCH_SIZE", String(embeddingBatchSize)),
            ("EMBEDDING_TIMEOUT", Self.seconds(embeddingTimeout)),
            ("EMBEDDING_QUERY_PREFIX", quoted(embeddingQueryPrefix)),
            ("EMBEDDING_DOCUMENT_PREFIX", quoted(embeddingDocumentPrefix)),
            ("SEARCH_CANDIDATES", String(searchCandidates)),
            ("SEARCH_RRF_K", Self.decimal(searchRRFK)),
            ("SEARCH_VECTOR_WEIGHT", Self.decimal(searchVectorWeight)),
            ("SEARCH_KEYWORD_WEIGHT", Self.decimal(searchKeywordWeight)),
            ("SEARCH_TITLE_WEIGHT", Self.decimal(searchTitleWeight)),
            ("SEARCH_SECTION_WEIGHT", Self.decimal(searchSectionWeight)),
            ("CHUNK_SIZE", String(chunkSize)),
            ("CHUNK_OVERLAP", String(chunkOverlap)),
            ("INGEST_BATCH_SIZE", String(ingestBatchSize)),
            ("MILVUS_COLLECTION", milvusCollection),
            ("MILVUS_MANAGEMENT_PORT", String(milvusManagementPort)),
            ("MILVUS_INSERT_BATCH", String(milvusInsertBatch)),
            ("MILVUS_TIMEOUT", Self.seconds(milvusTimeout)),
            ("DATABASE_STATEMENT_TIMEOUT", Self.seconds(databaseStatementTimeout)),
            ("MIGRATE_ON_START", String(migrateOnStart)),
            ("FCGI_LISTEN", fcgiListen.description),
            ("FCGI_SOCKET_MODE", Self.octal(fcgiSocketMode)),
            ("FCGI_SOCKET_OWNER", fcgiSocketOwner?.description ?? unset),
            ("BACKLOG", String(backlog)),
            ("WORKERS", String(workers)),
            ("THREADS", String(threads)),
            ("GRACEFUL_TIMEOUT", Self.seconds(gracefulTimeout)),
            ("WORKER_TIMEOUT", Self.seconds(workerTimeout)),
            ("REQUEST_TIMEOUT", requestTimeout.map(Self.seconds) ?? "0 (disabled)"),
            ("HEALTH_CHECK_TIMEOUT", Self.seconds(healthCheckTimeout)),
            ("MAX_REQUESTS", maxRequests == 0 ? "0 (never recycle)" : String(maxRequests)),
            ("MAX_REQUESTS_JITTER", String(maxRequestsJitter)),
            ("MAX_BODY_BYTES", String(maxBodyBytes)),
            ("METRICS_ENABLED", String(metricsEnabled)),
            ("ENABLE_TEST_ROUTES", String(enableTestRoutes)),
        ]
        return rows.map { key, value in
            let source: ValueSource = key == "ENV_FILE"
                ? (envFileFromEnvironment ? .environment : .default)
                : (sources[key] ?? .default)
            return SettingDescription(key: key, value: value, source: source)
        }
    }

    /// `Settings(KEY=value, ...)` with secrets masked, as in `describe()`.
    public var description: String {
        "Settings(" + describe().map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + ")"
    }

    public var debugDescription: String { description }

    /// Masked children, so `dump(settings)` cannot reveal a secret either.
    public var customMirror: Mirror {
        Mirror(self, children: describe().map { (label: $0.key, value: $0.value as Any) }, displayStyle: .struct)
    }

    /// `0660`: four octal digits.
    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// `30`, `0.5`: seconds without a unit, as they are written in the environment.
    static func seconds(_ duration: Duration) -> String {
        let (whole, attoseconds) = duration.components
        if attoseconds == 0 { return String(whole) }
        return String(Double(whole) + Double(attoseconds) / 1e18)
    }

    /// `60` rather than `60.0` for whole numbers.
    static func decimal(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
