import Testing

@testable import RagdConfig

@Suite("Secrets never leak")
struct SecretMaskingTests {
    private func loaded(_ overrides: [String: String] = [:]) throws -> Settings {
        try Settings.load(
            environment: Fixture.environment(["LLM_API_KEY": Fixture.llmKey].merging(overrides) { $1 }),
            currentDirectory: "/nonexistent")
    }

    private func expectNoSecret(in text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in Fixture.secrets {
            #expect(!text.contains(secret), "leaked a secret: \(text)", sourceLocation: sourceLocation)
        }
    }

    @Test func describeMasksSecretsAndPasswords() throws {
        let rows = try loaded().describe()
        let values = Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0.value) })
        #expect(values["SECRET_KEY"] == "********")
        #expect(values["LLM_API_KEY"] == "********")
        #expect(values["DATABASE_URL"] == "postgresql://app:********@db.internal:5432/rag")
        #expect(values["REDIS_URL"] == "redis://:********@redis:6379/0")
        for row in rows { expectNoSecret(in: row.description) }
    }

    @Test func describeListsEveryKeyInOrderWithDefaults() throws {
        let s = try Settings.load(environment: Fixture.minimal, currentDirectory: "/nonexistent")
        let rows = s.describe()
        #expect(rows.map(\.key) == [
            "ENV_FILE", "APP_NAME", "DEBUG", "ENVIRONMENT", "LOG_LEVEL", "SECRET_KEY", "ALLOWED_ORIGINS",
            "DATABASE_URL", "REDIS_URL", "MILVUS_HOST", "MILVUS_PORT", "LLM_API_KEY", "LLM_BASE_URL",
            "LLM_MODEL", "LLM_TIMEOUT", "LLM_MAX_RETRIES", "LLM_MAX_TOKENS", "RERANK_URL", "RERANK_API_KEY",
            "RERANK_MODEL", "RERANK_TIMEOUT", "RATE_LIMIT_PER_MINUTE", "RATE_LIMIT_FAIL_OPEN", "CACHE_TTL_SECONDS",
            "EMBEDDING_CACHE_TTL_SECONDS", "SSE_HEARTBEAT_SECONDS", "EMBEDDING_PROVIDER", "EMBEDDING_BASE_URL", "EMBEDDING_API_KEY",
            "EMBEDDING_MODEL", "EMBEDDING_DIMENSION", "EMBEDDING_BATCH_SIZE", "EMBEDDING_TIMEOUT", "EMBEDDING_QUERY_PREFIX",
            "EMBEDDING_DOCUMENT_PREFIX", "SEARCH_CANDIDATES", "SEARCH_RRF_K", "SEARCH_VECTOR_WEIGHT", "SEARCH_KEYWORD_WEIGHT",
            "SEARCH_TITLE_WEIGHT", "SEARCH_SECTION_WEIGHT", "CHUNK_SIZE", "CHUNK_OVERLAP", "INGEST_BATCH_SIZE",
            "MILVUS_COLLECTION", "MILVUS_MANAGEMENT_PORT", "MILVUS_INSERT_BATCH", "MILVUS_TIMEOUT", "DATABASE_STATEMENT_TIMEOUT", "MIGRATE_ON_START", "FCGI_LISTEN", "FCGI_SOCKET_MODE", "FCGI_SOCKET_OWNER",
            "BACKLOG", "WORKERS", "THREADS", "GRACEFUL_TIMEOUT", "WORKER_TIMEOUT", "REQUEST_TIMEOUT",
            "HEALTH_CHECK_TIMEOUT", "MAX_REQUESTS", "MAX_REQUESTS_JITTER", "MAX_BODY_BYTES", "METRICS_ENABLED", "ENABLE_TEST_ROUTES",
        ])
        let byKey = Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0) })
        #expect(byKey["LLM_API_KEY"]?.value == "(unset)")
        #expect(byKey["FCGI_SOCKET_MODE"]?.value == "0660")
        #expect(byKey["ALLOWED_ORIGINS"]?.value == #"["https://yourapp.com"]"#)
        #expect(byKey["REQUEST_TIMEOUT"]?.value == "300")
        #expect(byKey["ENV_FILE"]?.value == "(none)")
        #expect(byKey["ENV_FILE"]?.source == .environment)
        #expect(byKey["SECRET_KEY"]?.source == .environment)
        #expect(byKey["APP_NAME"]?.source == .default)
        #expect(byKey["APP_NAME"]?.description == "APP_NAME=Enterprise RAG (default)")
    }

    @Test func printingSettingsShowsTheMaskedForm() throws {
        let s = try loaded()
        let renderings = [
            s.description, s.debugDescription, "\(s)", String(describing: s), String(reflecting: s),
            "\(s.secretKey)", "\(s.databaseURL)", String(reflecting: s.databaseURL),
            "\(String(describing: s.llmAPIKey))", String(reflecting: s.secretKey),
        ]
        for text in renderings { expectNoSecret(in: text) }
        var dumped = ""
        dump(s, to: &dumped)
        expectNoSecret(in: dumped)
        #expect(dumped.contains("DATABASE_URL"))
        var dumpedURL = ""
        dump(s.redisURL, to: &dumpedURL)
        expectNoSecret(in: dumpedURL)
        #expect(s.description.contains("SECRET_KEY=********"))
    }

    @Test(arguments: [
        ["DATABASE_URL": "mysql://app:\(Fixture.databasePassword)@db/rag"],
        ["DATABASE_URL": "postgresql://app:\(Fixture.databasePassword)@db:notaport/rag"],
        ["DATABASE_URL": "postgresql://app:\(Fixture.databasePassword)%ZZ@db/rag"],
        ["DATABASE_URL": "app:\(Fixture.databasePassword)@db/rag"],
        ["REDIS_URL": "redis://:\(Fixture.redisPassword)@cache/\(Fixture.redisPassword)"],
        ["REDIS_URL": "\(Fixture.redisPassword)://x"],
        ["SECRET_KEY": "short-\(Fixture.llmKey)".prefix(20).description],
        ["LLM_BASE_URL": "https://me:\(Fixture.llmKey)@api.example/v1"],
        ["LLM_BASE_URL": "ftp://me:\(Fixture.llmKey)@api.example/v1"],
    ])
    func problemMessagesNeverContainSecrets(overrides: [String: String]) {
        let problems = Fixture.problems(Fixture.environment(overrides))
        #expect(problems.count == 1, "\(problems)")
        for problem in problems { expectNoSecret(in: problem.description) }
        #expect(!ConfigurationError(problems: problems).description.contains("PASS-w0rd"))
    }

    @Test func secretsInMalformedDotenvLinesAreNotEchoed() throws {
        let dir = try TemporaryDirectory()
        try dir.write(".env", "SECRET_KEY \(Fixture.secretKey)\nLLM_API_KEY=\"\(Fixture.llmKey)\" oops\n")
        var env = Fixture.minimal
        env["ENV_FILE"] = nil
        let problems = Fixture.problems(env, currentDirectory: dir.path)
        #expect(problems.count == 2)
        for problem in problems { expectNoSecret(in: problem.description) }
    }

    @Test(arguments: [
        ("postgresql://app:s3cret@db:5432/rag?sslmode=require", "postgresql://app:********@db:5432/rag?sslmode=require"),
        ("redis://:s3cret@cache:6379/0", "redis://:********@cache:6379/0"),
        ("redis://user@cache", "redis://user@cache"),
        ("postgres://u:p@ss/w@rd@db/rag", "postgres://u:********@db/rag"),
        ("postgresql:///rag?host=/run/pg&password=s3cret", "postgresql:///rag?host=/run/pg&password=********"),
        ("https://api.example/v1?api_key=s3cret&x=1#frag", "https://api.example/v1?api_key=********&x=1#frag"),
        ("https://api.deepseek.com/v1", "https://api.deepseek.com/v1"),
        ("not a url", "not a url"),
    ])
    func redactedURL(input: String, output: String) {
        #expect(redacted(url: input) == output)
    }
}
