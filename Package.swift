// swift-tools-version:6.0
import PackageDescription

// One module per concern; C enters only through the `C*` targets.
let package = Package(
    name: "ragd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ragd", targets: ["ragd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // MARK: C libraries (Debian -dev packages) and the shim for what Swift cannot call
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CLibpq", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "CRagdShim", linkerSettings: [.linkedLibrary("curl")]),

        // MARK: Swift modules
        .target(name: "RagdConfig", dependencies: ["RagdCore"]),
        .target(name: "RagdCore"),
        .target(name: "RagdLog", dependencies: ["RagdCore", .product(name: "Logging", package: "swift-log")]),
        .target(name: "RagdHTTP", dependencies: ["RagdCore", "RagdLog", .product(name: "Logging", package: "swift-log")]),
        .target(name: "RagdFastCGI", dependencies: ["CFastCGI", "CRagdShim", "RagdCore", "RagdHTTP"]),
        .target(name: "RagdMetrics", dependencies: ["CRagdShim", "RagdCore"]),
        .target(name: "RagdPool", dependencies: ["CRagdShim", "RagdCore", "RagdMetrics", "RagdFastCGI", "RagdHTTP", "RagdLog",
                                                 .product(name: "Logging", package: "swift-log")]),
        .target(name: "RagdPostgres", dependencies: ["CLibpq", "RagdCore"]),
        .target(name: "RagdRedis", dependencies: ["CHiredis", "RagdCore"]),
        .target(name: "RagdCurl", dependencies: ["CCurl", "CRagdShim", "RagdCore"]),
        .target(name: "RagdAuth", dependencies: ["RagdCore", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "RagdText", dependencies: ["RagdCore"]),
        // PDF (poppler) and DOCX (unzip + XMLParser) readers, each parser in a limited child process.
        .target(name: "RagdExtract", dependencies: ["CRagdShim", "RagdCore", "RagdText"]),
        // What the chat, embeddings and rerank clients share: the endpoint, status and
        // transport failure mapping, the retry loop.
        .target(name: "RagdProvider", dependencies: ["RagdCore", "RagdCurl"]),
        .target(name: "RagdEmbedding", dependencies: ["RagdCore", "RagdCurl", "RagdProvider"]),
        .target(name: "RagdMilvus", dependencies: ["RagdCore", "RagdCurl"]),
        .target(name: "RagdStore", dependencies: ["RagdCore", "RagdPostgres", "RagdText"]),
        .target(name: "RagdLLM", dependencies: ["RagdCore", "RagdCurl", "RagdProvider"]),
        .target(name: "RagdRerank", dependencies: ["RagdCore", "RagdCurl", "RagdProvider"]),
        .target(name: "RagdAnswer", dependencies: ["RagdCore", "RagdPipeline", "RagdLLM", "RagdRerank", "RagdMetrics"]),
        .target(name: "RagdCache", dependencies: ["RagdCore", "RagdRedis", "RagdEmbedding",
                                                  .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "RagdRateLimit", dependencies: ["RagdCache", "RagdRedis"]),
        .target(name: "RagdPipeline", dependencies: ["RagdCore", "RagdStore", "RagdMilvus", "RagdEmbedding", "RagdText",
                                                     "RagdMetrics", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "RagdApp", dependencies: ["RagdAuth", "RagdCore", "RagdConfig", "RagdExtract", "RagdPipeline", "RagdHTTP", "RagdLog", "RagdMetrics", "RagdPool", "RagdPostgres",
                                                "RagdRedis", "RagdCurl", "RagdLLM", "RagdRerank", "RagdCache", "RagdRateLimit", "RagdAnswer",
                                                .product(name: "Logging", package: "swift-log")],
                // The API contract, compiled into the binary: the server describes itself.
                resources: [.embedInCode("Resources/openapi.json")]),
        // `ragd ingest`: a client of the HTTP API (folders in, resumable), not of the server's modules.
        .target(name: "RagdIngestClient", dependencies: ["RagdCore", "RagdCurl", "RagdText",
                                                         .product(name: "Crypto", package: "swift-crypto")]),
        .executableTarget(name: "ragd", dependencies: [
            "RagdApp", "RagdAuth", "RagdConfig", "RagdCore", "RagdMetrics", "RagdPool", "RagdFastCGI", "RagdLog", "RagdPostgres", "RagdStore",
            "RagdText", "RagdIngestClient",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: Tests
        // Shared test helpers; `TestRedis` (cache and rate limit tests) needs RagdCache's Redis.
        .target(name: "RagdTesting", dependencies: ["RagdCache", "RagdRedis"], path: "Tests/RagdTesting"),
        .testTarget(name: "RagdConfigTests", dependencies: ["RagdConfig", "RagdTesting"]),
        .testTarget(name: "RagdHTTPTests", dependencies: ["RagdHTTP", "RagdLog"]),
        .testTarget(name: "RagdFastCGITests", dependencies: ["RagdFastCGI", "RagdHTTP", "CFastCGI"]),
        .testTarget(name: "RagdAppTests", dependencies: ["RagdApp", "RagdAnswer", "RagdAuth", "RagdConfig", "RagdCore", "RagdHTTP", "RagdPool",
                                                     "RagdPostgres", "RagdStore", "RagdTesting"]),
        .testTarget(name: "RagdMetricsTests", dependencies: ["RagdMetrics", "RagdTesting"]),
        .testTarget(name: "RagdPoolTests", dependencies: ["RagdPool"]),
        .testTarget(name: "RagdAuthTests", dependencies: ["RagdAuth", "RagdTesting"]),
        .testTarget(name: "RagdTextTests", dependencies: ["RagdText", "RagdEmbedding", "RagdTesting"]),
        .testTarget(name: "RagdExtractTests", dependencies: ["RagdExtract", "RagdText", "RagdTesting"]),
        .testTarget(name: "RagdMilvusTests", dependencies: ["RagdMilvus", "RagdTesting"]),
        .testTarget(name: "RagdStoreTests", dependencies: ["RagdStore", "RagdText", "RagdPipeline", "RagdTesting"]),
        .testTarget(name: "RagdPipelineTests", dependencies: ["RagdPipeline"]),
        .testTarget(name: "RagdBackendTests", dependencies: ["RagdPostgres", "RagdRedis", "RagdCurl", "RagdTesting"]),
        .testTarget(name: "RagdLLMTests", dependencies: ["RagdLLM", "RagdTesting"]),
        .testTarget(name: "RagdRerankTests", dependencies: ["RagdRerank", "RagdProvider", "RagdTesting"]),
        .testTarget(name: "RagdAnswerTests", dependencies: ["RagdAnswer", "RagdPipeline", "RagdLLM", "RagdStore"]),
        .testTarget(name: "RagdIngestClientTests", dependencies: ["RagdIngestClient", "RagdText"]),
        .testTarget(name: "RagdCacheTests", dependencies: ["RagdCache", "RagdEmbedding", "RagdRedis", "RagdTesting"]),
        .testTarget(name: "RagdRateLimitTests", dependencies: ["RagdRateLimit", "RagdCache", "RagdRedis", "RagdTesting"]),
        .testTarget(name: "RagdLiveTests", dependencies: ["RagdTesting", "ragd", "RagdPostgres", "RagdMilvus", "RagdFastCGI"]),
    ],
    // Swift 5 mode: the worker threads and the fork-based pool are deliberately not
    // Swift-concurrency code; strict Sendable checking would only add ceremony there.
    swiftLanguageModes: [.v5]
)
