import Foundation
import Testing

@testable import RagdConfig

@Suite("Settings loading")
struct SettingsLoadingTests {
    @Test func defaultsWhenOnlyRequiredValuesAreGiven() throws {
        let s = try Settings.load(environment: Fixture.minimal, currentDirectory: "/nonexistent")
        #expect(s.appName == "Enterprise RAG")
        #expect(s.debug == false)
        #expect(s.environment == .production)
        #expect(s.logLevel == .info)
        #expect(s.allowedOrigins == ["https://yourapp.com"])
        #expect(s.milvusHost == "milvus")
        #expect(s.milvusPort == 19530)
        #expect(s.llmAPIKey == nil)
        #expect(s.llmBaseURL == "https://api.deepseek.com/v1")
        #expect(s.llmModel == "deepseek-chat")
        #expect(s.rateLimitPerMinute == 100)
        #expect(s.rateLimitFailOpen)
        #expect(s.llmTimeout == .seconds(60))
        #expect(s.llmMaxRetries == 2)
        #expect(s.llmMaxTokens == 1024)
        #expect(s.rerankURL == nil && s.rerankAPIKey == nil && s.rerankModel == nil)
        #expect(s.rerankTimeout == .seconds(10))
        #expect(s.cacheTTL == .seconds(3600))
        #expect(s.embeddingCacheTTL == .seconds(604_800))
        #expect(s.sseHeartbeat == .seconds(10))
        #expect(s.fcgiListen == .unix(path: "/run/ragd/ragd.sock"))
        #expect(s.fcgiSocketMode == 0o660)
        #expect(s.fcgiSocketOwner == nil)
        #expect(s.backlog == 1024)
        #expect(s.workers == min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 256))
        #expect(s.threads == 4)
        #expect(s.gracefulTimeout == .seconds(30))
        #expect(s.workerTimeout == .seconds(30))
        #expect(s.requestTimeout == .seconds(300))
        #expect(s.healthCheckTimeout == .seconds(2))
        #expect(s.maxRequests == 0)
        #expect(s.maxRequestsJitter == 0)
        #expect(s.maxBodyBytes == 52_428_800)
        #expect(s.metricsEnabled)
        #expect(s.enableTestRoutes == false)
        #expect(s.envFilePath == nil)
        #expect(s.secretKey.reveal() == Fixture.secretKey)
        #expect(s.databaseURL.reveal() == Fixture.minimal["DATABASE_URL"])
        #expect(s.databaseURL.user == "app")
        #expect(s.databaseURL.password?.reveal() == Fixture.databasePassword)
        #expect(s.databaseURL.host == "db.internal")
        #expect(s.databaseURL.port == 5432)
        #expect(s.databaseURL.database == "rag")
        #expect(s.redisURL.scheme == "redis")
        #expect(s.redisURL.user == nil)
        #expect(s.redisURL.password?.reveal() == Fixture.redisPassword)
        #expect(s.redisURL.database == "0")
    }

    @Test func everyVariableIsRead() throws {
        let s = try Settings.load(environment: Fixture.environment([
            "APP_NAME": "My RAG", "DEBUG": "yes", "ENVIRONMENT": "Staging", "LOG_LEVEL": "DEBUG",
            "ALLOWED_ORIGINS": " https://A.com:443/ , http://localhost:3000,https://a.com",
            "MILVUS_HOST": "127.0.0.1", "MILVUS_PORT": "19531",
            "LLM_API_KEY": Fixture.llmKey, "LLM_BASE_URL": "http://127.0.0.1:8089/v1/", "LLM_MODEL": "m",
            "RATE_LIMIT_PER_MINUTE": "7", "RATE_LIMIT_FAIL_OPEN": "false", "LLM_TIMEOUT": "2.5",
            "LLM_MAX_RETRIES": "0", "LLM_MAX_TOKENS": "64", "RERANK_URL": "http://tei:8080/rerank/",
            "RERANK_API_KEY": "rk", "RERANK_MODEL": "bge-reranker", "RERANK_TIMEOUT": "3",
            "CACHE_TTL_SECONDS": "0", "EMBEDDING_CACHE_TTL_SECONDS": "60", "SSE_HEARTBEAT_SECONDS": "0.5",
            "FCGI_LISTEN": "unix:/tmp/r.sock", "FCGI_SOCKET_MODE": "600",
            "FCGI_SOCKET_OWNER": "ragd:www-data", "BACKLOG": "16", "WORKERS": "3", "THREADS": "2",
            "GRACEFUL_TIMEOUT": "0.5", "WORKER_TIMEOUT": "10", "REQUEST_TIMEOUT": "0",
            "HEALTH_CHECK_TIMEOUT": "1.25", "MAX_REQUESTS": "1000", "MAX_REQUESTS_JITTER": "50",
            "MAX_BODY_BYTES": "1024", "METRICS_ENABLED": "off", "ENABLE_TEST_ROUTES": "on",
        ]), currentDirectory: "/nonexistent")
        #expect(s.appName == "My RAG")
        #expect(s.debug)
        #expect(s.environment == .staging)
        #expect(s.logLevel == .debug)
        #expect(s.allowedOrigins == ["https://a.com", "http://localhost:3000"])
        #expect(s.milvusHost == "127.0.0.1")
        #expect(s.milvusPort == 19531)
        #expect(s.llmAPIKey?.reveal() == Fixture.llmKey)
        #expect(s.llmBaseURL == "http://127.0.0.1:8089/v1")
        #expect(s.llmModel == "m")
        #expect(s.rateLimitPerMinute == 7)
        #expect(s.rateLimitFailOpen == false)
        #expect(s.llmTimeout == .milliseconds(2500))
        #expect(s.llmMaxRetries == 0)
        #expect(s.llmMaxTokens == 64)
        #expect(s.rerankURL == "http://tei:8080/rerank")
        #expect(s.rerankAPIKey?.reveal() == "rk")
        #expect(s.rerankModel == "bge-reranker")
        #expect(s.rerankTimeout == .seconds(3))
        #expect(s.cacheTTL == .zero)
        #expect(s.embeddingCacheTTL == .seconds(60))
        #expect(s.sseHeartbeat == .milliseconds(500))
        #expect(s.fcgiListen == .unix(path: "/tmp/r.sock"))
        #expect(s.fcgiSocketMode == 0o600)
        #expect(s.fcgiSocketOwner == SocketOwner(user: "ragd", group: "www-data"))
        #expect(s.backlog == 16)
        #expect(s.workers == 3)
        #expect(s.threads == 2)
        #expect(s.gracefulTimeout == .milliseconds(500))
        #expect(s.workerTimeout == .seconds(10))
        #expect(s.requestTimeout == nil)
        #expect(s.healthCheckTimeout == .milliseconds(1250))
        #expect(s.maxRequests == 1000)
        #expect(s.maxRequestsJitter == 50)
        #expect(s.maxBodyBytes == 1024)
        #expect(s.metricsEnabled == false)
        #expect(s.enableTestRoutes)
    }

    @Test(arguments: [
        ("true", true), ("FALSE", false), ("1", true), ("0", false), ("Yes", true), ("no", false),
        ("on", true), ("OFF", false), ("t", true), ("n", false),
    ])
    func booleanSpellings(text: String, value: Bool) throws {
        let s = try Settings.load(environment: Fixture.environment(["DEBUG": text]), currentDirectory: "/nonexistent")
        #expect(s.debug == value)
    }

    @Test func allowedOriginsAcceptsJSONListAndEmptyList() throws {
        let json = try Settings.load(
            environment: Fixture.environment(["ALLOWED_ORIGINS": #"["https://a.com","https://b.com:8443"]"#]),
            currentDirectory: "/nonexistent")
        #expect(json.allowedOrigins == ["https://a.com", "https://b.com:8443"])
        let empty = try Settings.load(
            environment: Fixture.environment(["ALLOWED_ORIGINS": "[]"]), currentDirectory: "/nonexistent")
        #expect(empty.allowedOrigins == [])
    }

    @Test func socketOwnerForms() throws {
        for (text, owner) in [("1000", SocketOwner(user: "1000", group: nil)),
                              ("ragd:33", SocketOwner(user: "ragd", group: "33")),
                              (":www-data", SocketOwner(user: nil, group: "www-data"))] {
            let s = try Settings.load(environment: Fixture.environment(["FCGI_SOCKET_OWNER": text]),
                                      currentDirectory: "/nonexistent")
            #expect(s.fcgiSocketOwner == owner)
        }
    }

    @Test func emptyLLMKeyMeansNone() throws {
        let s = try Settings.load(environment: Fixture.environment(["LLM_API_KEY": ""]), currentDirectory: "/nonexistent")
        #expect(s.llmAPIKey == nil)
    }

    @Test func namesAreCaseInsensitiveAndUpperCaseWins() throws {
        let s = try Settings.load(
            environment: Fixture.environment(["workers": "5", "threads": "9", "THREADS": "3"]),
            currentDirectory: "/nonexistent")
        #expect(s.workers == 5)
        #expect(s.threads == 3)
    }

    @Test func databaseURLWithSeveralHostsAndSocketDirectory() throws {
        let multi = try ConnectionURL.postgres("postgresql://u@h1:5433,h2,[::1]:5434/db?target_session_attrs=read-write")
        #expect(multi.endpoints == [.init(host: "h1", port: 5433), .init(host: "h2", port: nil), .init(host: "::1", port: 5434)])
        let socket = try ConnectionURL.postgres("postgres://%2Fvar%2Frun%2Fpostgresql/rag")
        #expect(socket.host == "/var/run/postgresql")
        #expect(socket.password == nil)
        let rediss = try ConnectionURL.redis("rediss://user:p%40ss@cache:6380")
        #expect(rediss.scheme == "rediss")
        #expect(rediss.password?.reveal() == "p@ss")
        #expect(rediss.database == nil)
    }

    // MARK: Environment and dotenv file

    @Test func environmentWinsOverFileAndFileWinsOverDefaults() throws {
        let dir = try TemporaryDirectory()
        try dir.write(".env", """
            # deployment file
            WORKERS=7
            THREADS=6
            APP_NAME="From File"
            export LLM_MODEL=file-model
            """)
        var env = Fixture.environment(["WORKERS": "2"], removing: ["ENV_FILE"])
        env["ENV_FILE"] = nil
        let s = try Settings.load(environment: env, currentDirectory: dir.path)
        #expect(s.workers == 2)
        #expect(s.threads == 6)
        #expect(s.appName == "From File")
        #expect(s.llmModel == "file-model")
        #expect(s.backlog == 1024)
        #expect(s.envFilePath == dir.path + "/.env")
        let sources = Dictionary(uniqueKeysWithValues: s.describe().map { ($0.key, $0.source) })
        #expect(sources["WORKERS"] == .environment)
        #expect(sources["THREADS"] == .envFile)
        #expect(sources["BACKLOG"] == .default)
        #expect(sources["ENV_FILE"] == .default)
    }

    @Test func emptyEnvironmentValueStillWinsOverFile() {
        let dir = try! TemporaryDirectory()
        try! dir.write(".env", "THREADS=6\n")
        var env = Fixture.environment(["THREADS": ""])
        env["ENV_FILE"] = nil
        let problems = Fixture.problems(env, currentDirectory: dir.path)
        #expect(problems.map(\.description) == [#"THREADS: "" is not an integer (expected 1...256)"#])
    }

    @Test func requiredValuesMayComeFromTheFile() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("prod.env", """
            SECRET_KEY='\(Fixture.secretKey)'
            DATABASE_URL=postgresql://app:\(Fixture.databasePassword)@db/rag
            REDIS_URL="redis://:\(Fixture.redisPassword)@redis"
            """)
        let s = try Settings.load(environment: ["ENV_FILE": "prod.env"], currentDirectory: dir.path)
        #expect(s.envFilePath == file)
        #expect(s.secretKey.reveal() == Fixture.secretKey)
        #expect(s.redisURL.password?.reveal() == Fixture.redisPassword)
        #expect(s.describe().first == SettingDescription(key: "ENV_FILE", value: file, source: .environment))
    }

    @Test func missingDefaultFileIsFineButMissingNamedFileIsAnError() throws {
        let dir = try TemporaryDirectory()
        var env = Fixture.minimal
        env["ENV_FILE"] = nil
        _ = try Settings.load(environment: env, currentDirectory: dir.path)
        env["ENV_FILE"] = "missing.env"
        let problems = Fixture.problems(env, currentDirectory: dir.path)
        #expect(problems.map(\.key) == ["ENV_FILE"])
        #expect(problems.first?.code == .envFile)
        #expect(problems.first?.message == "file \"\(dir.path)/missing.env\" does not exist")
    }

    @Test func dotenvSyntaxErrorsAreReportedWithLineNumbers() throws {
        let dir = try TemporaryDirectory()
        try dir.write(".env", "WORKERS=2\n\nthis is not valid\nTHREADS=\"3\" trailing\n")
        var env = Fixture.minimal
        env["ENV_FILE"] = nil
        let problems = Fixture.problems(env, currentDirectory: dir.path)
        #expect(problems.map(\.description) == [
            "ENV_FILE: \(dir.path)/.env line 3: expected '=' after the variable name",
            "ENV_FILE: \(dir.path)/.env line 4: unexpected text after the value (quote the value or start a comment with ' #')",
        ])
        #expect(problems.allSatisfy { $0.code == .envFileSyntax })
    }

    @Test func fileInterpolationSeesTheProcessEnvironment() throws {
        let dir = try TemporaryDirectory()
        try dir.write(".env", "MILVUS_HOST=${MILVUS_SERVICE_HOST:-milvus-default}\n")
        var env = Fixture.minimal
        env["ENV_FILE"] = nil
        #expect(try Settings.load(environment: env, currentDirectory: dir.path).milvusHost == "milvus-default")
        env["MILVUS_SERVICE_HOST"] = "10.1.2.3"
        #expect(try Settings.load(environment: env, currentDirectory: dir.path).milvusHost == "10.1.2.3")
    }

    // MARK: Problems

    @Test(arguments: [
        ("APP_NAME", "", #"APP_NAME: must not be empty (default "Enterprise RAG")"#),
        ("DEBUG", "maybe", #"DEBUG: "maybe" is not a boolean (expected true/false, 1/0, yes/no or on/off)"#),
        ("ENVIRONMENT", "prod", #"ENVIRONMENT: "prod" is not one of development, staging, production, test"#),
        ("LOG_LEVEL", "verbose", #"LOG_LEVEL: "verbose" is not one of trace, debug, info, notice, warning, error, critical"#),
        ("ALLOWED_ORIGINS", "https://a.com/app", #"ALLOWED_ORIGINS: "https://a.com/app" is not an origin: it must not have a path"#),
        ("ALLOWED_ORIGINS", "ftp://a.com", #"ALLOWED_ORIGINS: "ftp://a.com" is not an origin: scheme must be http or https"#),
        ("ALLOWED_ORIGINS", "[\"https://a.com\",", "ALLOWED_ORIGINS: is not a valid JSON list of strings"),
        ("DATABASE_URL", "mysql://u:pw@h/db", #"DATABASE_URL: scheme must be postgresql:// or postgres:// (got "mysql")"#),
        ("DATABASE_URL", "postgresql://u:pw@h:99999/db", "DATABASE_URL: port is not an integer in 1...65535"),
        ("REDIS_URL", "http://cache:6379", #"REDIS_URL: scheme must be redis:// or rediss:// (got "http")"#),
        ("REDIS_URL", "redis://cache/zero", "REDIS_URL: the path must be a database number such as /0"),
        ("REDIS_URL", "redis://:pw@", "REDIS_URL: has no host"),
        ("MILVUS_HOST", "  ", #"MILVUS_HOST: must not be empty (default "milvus")"#),
        ("MILVUS_PORT", "0", "MILVUS_PORT: 0 is out of range (expected 1...65535)"),
        ("MILVUS_PORT", "19530x", #"MILVUS_PORT: "19530x" is not an integer (expected 1...65535)"#),
        ("LLM_BASE_URL", "ftp://llm", #"LLM_BASE_URL: "ftp://llm" is not an http(s) URL"#),
        ("LLM_BASE_URL", "https://user:pw@llm/v1", "LLM_BASE_URL: must not contain credentials; put the key in LLM_API_KEY"),
        ("LLM_MODEL", "", #"LLM_MODEL: must not be empty (default "deepseek-chat")"#),
        ("RATE_LIMIT_PER_MINUTE", "0", "RATE_LIMIT_PER_MINUTE: 0 is out of range (expected >= 1)"),
        ("RATE_LIMIT_FAIL_OPEN", "sometimes", #"RATE_LIMIT_FAIL_OPEN: "sometimes" is not a boolean"#),
        ("LLM_TIMEOUT", "0", "LLM_TIMEOUT: 0 is out of range (expected a number of seconds > 0)"),
        ("LLM_MAX_RETRIES", "11", "LLM_MAX_RETRIES: 11 is out of range (expected 0...10)"),
        ("LLM_MAX_TOKENS", "0", "LLM_MAX_TOKENS: 0 is out of range (expected 1...32768)"),
        ("RERANK_URL", "tei:8080", #"RERANK_URL: "tei:8080" is not an http(s) URL"#),
        ("RERANK_TIMEOUT", "-1", "RERANK_TIMEOUT: -1 is out of range (expected a number of seconds > 0)"),
        ("CACHE_TTL_SECONDS", "-5", "CACHE_TTL_SECONDS: -5 is out of range (expected a number of seconds >= 0)"),
        ("EMBEDDING_CACHE_TTL_SECONDS", "week", #"EMBEDDING_CACHE_TTL_SECONDS: "week" is not a number"#),
        ("SSE_HEARTBEAT_SECONDS", "0", "SSE_HEARTBEAT_SECONDS: 0 is out of range (expected a number of seconds > 0)"),
        ("FCGI_LISTEN", "0.0.0.0:9000", #"FCGI_LISTEN: host "0.0.0.0" is not a loopback address"#),
        ("FCGI_LISTEN", "relative.sock", #"FCGI_LISTEN: "relative.sock" is neither a socket path nor HOST:PORT"#),
        ("FCGI_SOCKET_MODE", "0999", #"FCGI_SOCKET_MODE: "0999" is not an octal file mode (expected e.g. 0660 or 0600)"#),
        ("FCGI_SOCKET_MODE", "rw-rw----", #"FCGI_SOCKET_MODE: "rw-rw----" is not an octal file mode"#),
        ("FCGI_SOCKET_OWNER", "a:b:c", #"FCGI_SOCKET_OWNER: "a:b:c" is not user[:group] or :group"#),
        ("BACKLOG", "70000", "BACKLOG: 70000 is out of range (expected 1...65535)"),
        ("WORKERS", "abc", #"WORKERS: "abc" is not an integer (expected 1...256)"#),
        ("WORKERS", "257", "WORKERS: 257 is out of range (expected 1...256)"),
        ("THREADS", "0", "THREADS: 0 is out of range (expected 1...256)"),
        ("GRACEFUL_TIMEOUT", "0", "GRACEFUL_TIMEOUT: 0 is out of range (expected a number of seconds > 0)"),
        ("WORKER_TIMEOUT", "-1", "WORKER_TIMEOUT: -1 is out of range (expected a number of seconds > 0)"),
        ("REQUEST_TIMEOUT", "5m", #"REQUEST_TIMEOUT: "5m" is not a number (expected a number of seconds >= 0, decimals allowed)"#),
        ("REQUEST_TIMEOUT", "-0.5", "REQUEST_TIMEOUT: -0.5 is out of range (expected a number of seconds >= 0)"),
        ("HEALTH_CHECK_TIMEOUT", "0", "HEALTH_CHECK_TIMEOUT: 0 is out of range (expected a number of seconds > 0)"),
        ("HEALTH_CHECK_TIMEOUT", "nan", #"HEALTH_CHECK_TIMEOUT: "nan" is not a number"#),
        ("MAX_REQUESTS", "-1", "MAX_REQUESTS: -1 is out of range (expected >= 0)"),
        ("MAX_REQUESTS_JITTER", "1e3", #"MAX_REQUESTS_JITTER: "1e3" is not an integer (expected >= 0)"#),
        ("MAX_BODY_BYTES", "0", "MAX_BODY_BYTES: 0 is out of range (expected >= 1)"),
        ("ENABLE_TEST_ROUTES", "sure", #"ENABLE_TEST_ROUTES: "sure" is not a boolean"#),
    ])
    func badValueIsReportedWithItsVariable(key: String, value: String, expected: String) {
        // Staging, so that production-only checks do not add problems of their own.
        var env = Fixture.environment(["ENVIRONMENT": "staging"])
        env[key] = value
        let problems = Fixture.problems(env)
        #expect(problems.count == 1)
        #expect(problems.first?.key == key)
        #expect(problems.first?.description.hasPrefix(expected) == true, "\(problems)")
        #expect(problems.first.map { !$0.description.contains("\n") } == true)
    }

    @Test func missingRequiredValues() {
        let problems = Fixture.problems(["ENV_FILE": ""])
        #expect(problems.map(\.key) == ["SECRET_KEY", "DATABASE_URL", "REDIS_URL"])
        #expect(problems.allSatisfy { $0.code == .missing })
        #expect(problems.map(\.description) == [
            "SECRET_KEY: is required (a random string of at least 32 characters, e.g. from `openssl rand -hex 32`)",
            "DATABASE_URL: is required (expected postgresql://USER:PASSWORD@HOST:5432/DATABASE)",
            "REDIS_URL: is required (expected redis://[:PASSWORD@]HOST:6379/0)",
        ])
    }

    @Test func everyProblemIsReportedTogetherInOrder() {
        let problems = Fixture.problems(Fixture.environment([
            "WORKERS": "abc", "THREADS": "0", "FCGI_LISTEN": "10.0.0.1:9000", "DEBUG": "perhaps",
        ], removing: ["SECRET_KEY", "REDIS_URL"]))
        #expect(problems.map(\.key) == ["DEBUG", "SECRET_KEY", "REDIS_URL", "FCGI_LISTEN", "WORKERS", "THREADS"])
        let error = ConfigurationError(problems: problems)
        #expect(error.description.split(separator: "\n").count == 6)
    }

    @Test func shortSecretKeyIsRejectedOnlyInProduction() throws {
        let short = Fixture.environment(["SECRET_KEY": "hunter2hunter"])
        let problems = Fixture.problems(short)
        #expect(problems.map(\.description) == ["SECRET_KEY: must be at least 32 characters in production (got 13)"])
        _ = try Settings.load(environment: short.merging(["ENVIRONMENT": "development"]) { $1 },
                              currentDirectory: "/nonexistent")
    }

    @Test func testRoutesAreRefusedInProduction() throws {
        let problems = Fixture.problems(Fixture.environment(["ENABLE_TEST_ROUTES": "true"]))
        #expect(problems.map(\.description) == [
            "ENABLE_TEST_ROUTES: must not be true when ENVIRONMENT=production (test-only routes must never be reachable in production)",
        ])
        #expect(problems.first?.code == .notAllowed)
        let allowed = try Settings.load(
            environment: Fixture.environment(["ENABLE_TEST_ROUTES": "true", "ENVIRONMENT": "test"]),
            currentDirectory: "/nonexistent")
        #expect(allowed.enableTestRoutes)
    }

    @Test func badEnvironmentSkipsTheChecksThatDependOnIt() {
        let problems = Fixture.problems(Fixture.environment([
            "ENVIRONMENT": "qa", "SECRET_KEY": "short", "ENABLE_TEST_ROUTES": "1",
        ]))
        #expect(problems.map(\.key) == ["ENVIRONMENT"])
    }
}

@Suite struct IngestionSettingsTests {
    @Test func embeddingFallsBackToTheLLMSettings() throws {
        let s = try Settings.load(environment: Fixture.environment(["LLM_API_KEY": "sk-llm", "LLM_BASE_URL": "https://llm.example/v1",
                                                                   "EMBEDDING_PROVIDER": "openai"]), currentDirectory: "/nonexistent")
        #expect(s.effectiveEmbeddingBaseURL == "https://llm.example/v1")
        #expect(s.effectiveEmbeddingAPIKey?.reveal() == "sk-llm")
        #expect(s.effectiveEmbeddingModel == "text-embedding-3-small")
        let local = try Settings.load(environment: Fixture.environment([:]), currentDirectory: "/nonexistent")
        #expect(local.embeddingProvider == .local)
        #expect(local.effectiveEmbeddingModel == "ragd-hashing-v1")
        #expect(local.describe().first { $0.key == "EMBEDDING_API_KEY" }?.value == "(unset)")
    }

    @Test func embeddingPrefixesAreTakenAsWrittenAndFusionSettingsAreNumbers() throws {
        let s = try Settings.load(environment: Fixture.environment([
            "EMBEDDING_QUERY_PREFIX": "query: ", "EMBEDDING_DOCUMENT_PREFIX": "passage: ",
            "SEARCH_CANDIDATES": "80", "SEARCH_RRF_K": "7.5", "SEARCH_VECTOR_WEIGHT": "0.5", "SEARCH_KEYWORD_WEIGHT": "2",
            "SEARCH_TITLE_WEIGHT": "0", "SEARCH_SECTION_WEIGHT": "2.25",
        ]), currentDirectory: "/nonexistent")
        #expect(s.embeddingQueryPrefix == "query: ", "the trailing space is part of the prefix")
        #expect(s.embeddingDocumentPrefix == "passage: ")
        #expect(s.searchCandidates == 80 && s.searchRRFK == 7.5 && s.searchVectorWeight == 0.5 && s.searchKeywordWeight == 2)
        let rows = Dictionary(uniqueKeysWithValues: s.describe().map { ($0.key, $0.value) })
        #expect(rows["EMBEDDING_QUERY_PREFIX"] == "\"query: \"")
        #expect(rows["SEARCH_RRF_K"] == "7.5" && rows["SEARCH_KEYWORD_WEIGHT"] == "2")
        #expect(s.searchTitleWeight == 0 && s.searchSectionWeight == 2.25 && rows["SEARCH_SECTION_WEIGHT"] == "2.25")
        let defaults = try Settings.load(environment: Fixture.minimal, currentDirectory: "/nonexistent")
        #expect(defaults.embeddingQueryPrefix == "" && defaults.embeddingDocumentPrefix == "")
        #expect(defaults.searchTitleWeight == 1.5 && defaults.searchSectionWeight == 0.5)
    }

    @Test func badPrefixAndFusionValuesAreNamed() {
        let problems = Fixture.problems(Fixture.environment([
            "EMBEDDING_QUERY_PREFIX": "line\nbreak", "EMBEDDING_DOCUMENT_PREFIX": String(repeating: "p", count: 65),
            "SEARCH_CANDIDATES": "4", "SEARCH_RRF_K": "nan", "SEARCH_VECTOR_WEIGHT": "0", "SEARCH_KEYWORD_WEIGHT": "0",
            "SEARCH_TITLE_WEIGHT": "11", "SEARCH_SECTION_WEIGHT": "-1",
        ]))
        for key in ["EMBEDDING_QUERY_PREFIX", "EMBEDDING_DOCUMENT_PREFIX", "SEARCH_CANDIDATES", "SEARCH_RRF_K", "SEARCH_KEYWORD_WEIGHT",
                    "SEARCH_TITLE_WEIGHT", "SEARCH_SECTION_WEIGHT"] {
            #expect(problems.contains { $0.key == key }, "\(key) in \(problems)")
        }
        #expect(Fixture.problems(Fixture.environment(["SEARCH_KEYWORD_WEIGHT": "11"])).contains { $0.key == "SEARCH_KEYWORD_WEIGHT" })
    }

    @Test func badIngestionValuesAreNamed() {
        let problems = Fixture.problems(Fixture.environment([
            "EMBEDDING_PROVIDER": "magic", "CHUNK_SIZE": "500", "CHUNK_OVERLAP": "500", "MILVUS_COLLECTION": "bad-name",
            "EMBEDDING_DIMENSION": "3",
        ]))
        for key in ["EMBEDDING_PROVIDER", "CHUNK_OVERLAP", "MILVUS_COLLECTION", "EMBEDDING_DIMENSION"] {
            #expect(problems.contains { $0.key == key }, "\(key) in \(problems)")
        }
    }
}
