import RagdCore

/// The metric families ragd stores in shared memory. Declared once, in the same order in
/// every process, which is what makes a family's index agree across the pool.
public enum MetricCatalog {
    public static let requests = MetricFamily(
        name: "rag_requests_total", help: "HTTP requests answered, by method, route template and status.",
        kind: .counter, labelNames: ["method", "endpoint", "status"])

    public static let requestLatency = MetricFamily(
        name: "rag_request_latency_seconds", help: "Time from the request reaching a worker to its response being sent.",
        kind: .histogram, labelNames: ["method", "endpoint"],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80])

    /// RAG stages: embed, retrieve, rerank, generate. Buckets reach 80 s for LLM generation.
    public static let queryLatency = MetricFamily(
        name: "rag_query_latency_seconds", help: "Latency of each RAG pipeline stage.",
        kind: .histogram, labelNames: ["stage"],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80])

    public static let workerRestarts = MetricFamily(
        name: "rag_pool_worker_restarts_total",
        help: "Workers that left the pool, by reason (exit, crash, timeout, max_requests, reload, scale_down).",
        kind: .counter, labelNames: ["reason"])

    public static let timeToFirstToken = MetricFamily(
        name: "rag_llm_time_to_first_token_seconds",
        help: "Time from sending a chat request to the LLM to receiving its first text.",
        kind: .histogram, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40])

    public static let llmTokens = MetricFamily(
        name: "rag_llm_tokens_total", help: "Tokens the LLM reported, by kind (prompt, completion).",
        kind: .counter, labelNames: ["kind"])

    public static let llmRequests = MetricFamily(
        name: "rag_llm_requests_total",
        help: "Generations, by outcome (ok, aborted, unauthorized, rate_limited, unavailable, timeout, bad_request, invalid_response, interrupted).",
        kind: .counter, labelNames: ["outcome"])

    public static let cacheRequests = MetricFamily(
        name: "rag_cache_requests_total",
        help: "Cache lookups, by cache (answer, embedding) and result (hit, miss, bypassed: Redis unavailable).",
        kind: .counter, labelNames: ["cache", "result"])

    public static let rateLimitRejections = MetricFamily(
        name: "rag_rate_limit_rejections_total", help: "Requests refused with 429 by the rate limiter.",
        kind: .counter)

    public static let rateLimitFailOpen = MetricFamily(
        name: "rag_rate_limit_fail_open_total",
        help: "Requests admitted without a rate-limit check because Redis was unavailable (RATE_LIMIT_FAIL_OPEN).",
        kind: .counter)

    public static let all = [requests, requestLatency, queryLatency, workerRestarts, timeToFirstToken, llmTokens,
                             llmRequests, cacheRequests, rateLimitRejections, rateLimitFailOpen]

    /// Methods outside this set share the label `OTHER`, keeping cardinality bounded.
    public static func methodLabel(_ method: String) -> String {
        switch method {
        case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS": return method
        default: return "OTHER"
        }
    }

    /// The `endpoint` label of a request that matched no route.
    public static let unmatchedEndpoint = "unmatched"
}

/// Records into the shared store from inside a worker: the pool installs one per worker
/// process at boot (`MetricsRecorder.current`), so pipeline code can time its stages
/// without knowing about slots.
public final class MetricsRecorder: @unchecked Sendable {
    /// The recorder of this process; nil in the master and in processes without a pool.
    nonisolated(unsafe) public static var current: MetricsRecorder?

    public let store: MetricsStore
    public let writer: Int
    private let requests: Int, requestLatency: Int, queryLatency: Int
    private let timeToFirstToken: Int, llmTokens: Int, llmRequests: Int, cacheRequests: Int
    private let rateLimitRejections: Int, rateLimitFailOpen: Int
    private var requestSeries: [RequestSeriesKey: RequestSeries] = [:]
    /// The last request's key and series (under the same lock): consecutive requests
    /// mostly share them, and comparing the key costs less than hashing it.
    private var lastRequestSeries: (key: RequestSeriesKey, series: RequestSeries)?
    private let requestSeriesLock = PThreadMutex()

    public init(store: MetricsStore, writer: Int) {
        self.store = store
        self.writer = writer
        requests = store.family(MetricCatalog.requests.name)
        requestLatency = store.family(MetricCatalog.requestLatency.name)
        queryLatency = store.family(MetricCatalog.queryLatency.name)
        timeToFirstToken = store.family(MetricCatalog.timeToFirstToken.name)
        llmTokens = store.family(MetricCatalog.llmTokens.name)
        llmRequests = store.family(MetricCatalog.llmRequests.name)
        cacheRequests = store.family(MetricCatalog.cacheRequests.name)
        rateLimitRejections = store.family(MetricCatalog.rateLimitRejections.name)
        rateLimitFailOpen = store.family(MetricCatalog.rateLimitFailOpen.name)
    }

    /// One answered request: counted and its latency observed.
    public func recordRequest(method: String, endpoint: String?, status: Int, seconds: Double) {
        let key = RequestSeriesKey(method: MetricCatalog.methodLabel(method), endpoint: endpoint, status: status)
        let series = requestSeriesLock.withLock { () -> RequestSeries? in
            if let last = lastRequestSeries, last.key == key { return last.series }
            guard let found = requestSeries[key] else { return nil }
            lastRequestSeries = (key, found)
            return found
        } ?? requestSeries(for: key)
        store.add(series.count, writer: writer)
        store.observe(series.latency, seconds, writer: writer)
    }

    /// A request's two series, looked up in the store by their label text once per
    /// (method, route, status) and then kept here: building the label key and finding it in
    /// the store's cache cost more than the recording itself, on every request.
    private func requestSeries(for key: RequestSeriesKey) -> RequestSeries {
        let endpoint = key.endpoint ?? MetricCatalog.unmatchedEndpoint
        let series = RequestSeries(count: store.series(requests, [key.method, endpoint, String(key.status)]),
                                   latency: store.series(requestLatency, [key.method, endpoint]))
        requestSeriesLock.withLock { requestSeries[key] = series }
        return series
    }

    /// The label values, so the cache is bounded exactly like the store's series (a client
    /// inventing methods adds nothing: they share `OTHER`).
    private struct RequestSeriesKey: Hashable {
        var method: String
        var endpoint: String?
        var status: Int
    }

    private struct RequestSeries {
        var count: MetricsStore.Series
        var latency: MetricsStore.Series
    }

    /// One run of a RAG stage (`embed`, `retrieve`, `rerank`, `generate`).
    public func recordStage(_ stage: String, seconds: Double) {
        store.observe(store.series(queryLatency, [stage]), seconds, writer: writer)
    }

    /// The time to the first token of one generation.
    public func recordTimeToFirstToken(seconds: Double) {
        store.observe(store.series(timeToFirstToken, []), seconds, writer: writer)
    }

    /// One generation's outcome and the tokens the LLM reported for it.
    public func recordGeneration(outcome: String, promptTokens: Int, completionTokens: Int) {
        store.add(store.series(llmRequests, [outcome]), writer: writer)
        if promptTokens > 0 { store.add(store.series(llmTokens, ["prompt"]), UInt64(promptTokens), writer: writer) }
        if completionTokens > 0 { store.add(store.series(llmTokens, ["completion"]), UInt64(completionTokens), writer: writer) }
    }

    /// `count` lookups of `cache` (`answer`, `embedding`) with `result` (`hit`, `miss`, `bypassed`).
    public func recordCache(_ cache: String, result: String, count: Int = 1) {
        guard count > 0 else { return }
        store.add(store.series(cacheRequests, [cache, result]), UInt64(count), writer: writer)
    }

    /// A request refused by the rate limiter.
    public func recordRateLimitRejection() {
        store.add(store.series(rateLimitRejections, []), writer: writer)
    }

    /// A request admitted unchecked because Redis was unavailable.
    public func recordRateLimitFailOpen() {
        store.add(store.series(rateLimitFailOpen, []), writer: writer)
    }
}
