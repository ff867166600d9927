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

    public static let all = [requests, requestLatency, queryLatency, workerRestarts]

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

    public init(store: MetricsStore, writer: Int) {
        self.store = store
        self.writer = writer
        requests = store.family(MetricCatalog.requests.name)
        requestLatency = store.family(MetricCatalog.requestLatency.name)
        queryLatency = store.family(MetricCatalog.queryLatency.name)
    }

    /// One answered request: counted and its latency observed.
    public func recordRequest(method: String, endpoint: String?, status: Int, seconds: Double) {
        let method = MetricCatalog.methodLabel(method)
        let endpoint = endpoint ?? MetricCatalog.unmatchedEndpoint
        store.add(store.series(requests, [method, endpoint, String(status)]), writer: writer)
        store.observe(store.series(requestLatency, [method, endpoint]), seconds, writer: writer)
    }

    /// One run of a RAG stage (`embed`, `retrieve`, `rerank`, `generate`).
    public func recordStage(_ stage: String, seconds: Double) {
        store.observe(store.series(queryLatency, [stage]), seconds, writer: writer)
    }
}
