import CRagdShim
import RagdCore
import RagdMetrics
#if canImport(Glibc)
import Glibc
#endif

/// The pool as any worker can see it through shared memory: what `/metrics` and
/// `/status` report. Every scrape reads every slot, so any worker gives the whole pool.
/// What the pool endpoints report: a seam so routes can be built without a running pool.
public protocol PoolReporter: Sendable {
    func status() -> PoolStatus
    func metricsText() -> String
}

public final class PoolView: PoolReporter, @unchecked Sendable {
    private let scoreboard: Scoreboard
    private let metrics: MetricsStore
    private let listenFD: Int32

    init(scoreboard: Scoreboard, metrics: MetricsStore, listenFD: Int32) {
        self.scoreboard = scoreboard
        self.metrics = metrics
        self.listenFD = listenFD
    }

    /// The accept queue now; also folded into the maximum seen.
    func sampleListenQueue() {
        var queued: UInt32 = 0, backlog: UInt32 = 0
        if CRagdShim_listen_queue(listenFD, &queued, &backlog) == 0 {
            scoreboard.recordListenQueue(queued: queued, backlog: backlog)
        }
    }

    // MARK: status

    public func status() -> PoolStatus {
        status(snapshot: metrics.snapshot())
    }

    /// The status, with restart counts taken from `snapshot` (a scrape reads the store once).
    private func status(snapshot: [SeriesSnapshot]) -> PoolStatus {
        sampleListenQueue()
        let now = Clock.monotonicNanoseconds()
        var workers: [PoolStatus.Worker] = []
        var accepted: UInt64 = 0
        for slot in 0..<scoreboard.slotCount {
            accepted &+= scoreboard.accepted(slot: slot)
            let state = scoreboard.state(slot: slot)
            guard state != .free else { continue }
            let pid = scoreboard.pid(slot: slot)
            let threadCount = min(scoreboard.threads(slot: slot), scoreboard.threadCapacity)
            var current: [PoolStatus.Request] = []
            var lastDuration = 0.0
            for thread in 0..<threadCount {
                lastDuration = max(lastDuration, scoreboard.lastRequestDuration(slot: slot, thread: thread))
                if let request = scoreboard.currentRequest(slot: slot, thread: thread) {
                    current.append(.init(thread: thread, request: request.summary, runningSeconds: Double(Clock.elapsed(from: request.started, to: now)) / 1e9))
                }
            }
            let stats = pid > 0 ? ProcessStats.read(pid: pid) : nil
            workers.append(.init(
                slot: slot, pid: pid, state: workerState(state, busy: !current.isEmpty), threads: threadCount,
                busyThreads: current.count, requestsServed: scoreboard.requestsServed(slot: slot),
                current: current, lastRequestSeconds: lastDuration, residentBytes: stats?.residentBytes ?? 0,
                cpuSeconds: stats?.cpuSeconds ?? 0, uptimeSeconds: Double(Clock.elapsed(from: scoreboard.spawnedAt(slot: slot), to: now)) / 1e9))
        }
        let busyThreads = workers.reduce(0) { $0 + $1.busyThreads }
        scoreboard.recordBusyThreads(busyThreads)
        let queue = scoreboard.listenQueue
        var restarts: [String: UInt64] = [:]
        let restartFamily = metrics.family(MetricCatalog.workerRestarts.name)
        for series in snapshot where series.family == restartFamily && series.labelValues.first != MetricsStore.overflowValue {
            restarts[series.labelValues.first ?? ""] = series.cells[0]
        }
        return PoolStatus(
            startTime: scoreboard.startTime, masterPID: scoreboard.masterPID, accepted: accepted,
            listenQueue: queue.now, listenQueueMax: queue.max, listenBacklog: queue.backlog,
            workers: workers, busyThreads: busyThreads, maxBusyThreads: Int(scoreboard.maxBusyThreads),
            restarts: restarts, deadWorkersCPUSeconds: scoreboard.deadWorkersCPUSeconds)
    }

    private func workerState(_ state: Scoreboard.WorkerState, busy: Bool) -> String {
        switch state {
        case .free: return "free"
        case .booting: return "booting"
        case .running: return busy ? "busy" : "idle"
        case .stopping: return "stopping"
        }
    }

    // MARK: metrics

    /// The whole pool in Prometheus text format.
    public func metricsText() -> String {
        let snapshot = metrics.snapshot()
        let status = status(snapshot: snapshot)
        let states = ["booting", "idle", "busy", "stopping"]
        let totalThreads = status.workers.reduce(0) { $0 + $1.threads }
        let master = ProcessStats.read(pid: status.masterPID)
        let resident = status.workers.reduce(master?.residentBytes ?? 0) { $0 + $1.residentBytes }
        let cpu = status.workers.reduce((master?.cpuSeconds ?? 0) + status.deadWorkersCPUSeconds) { $0 + $1.cpuSeconds }
        let computed: [PrometheusText.ComputedFamily] = [
            .init(name: "rag_pool_workers", help: "Worker processes by state.", kind: .gauge,
                  samples: states.map { state in .init([("state", state)], Double(status.workers.filter { $0.state == state }.count)) }),
            .init(name: "rag_pool_threads", help: "Serving threads in all workers.", kind: .gauge, samples: [.init(Double(totalThreads))]),
            .init(name: "rag_pool_busy_threads", help: "Serving threads handling a request now.", kind: .gauge,
                  samples: [.init(Double(status.busyThreads))]),
            .init(name: "rag_pool_max_busy_threads", help: "Most threads seen busy at once since start (sampled 4 times a second and at every scrape).",
                  kind: .gauge, samples: [.init(Double(status.maxBusyThreads))]),
            .init(name: "rag_pool_utilization", help: "Busy threads divided by all serving threads.", kind: .gauge,
                  samples: [.init(totalThreads > 0 ? Double(status.busyThreads) / Double(totalThreads) : 0)]),
            .init(name: "rag_pool_accepted_requests_total", help: "Requests taken by a worker since start.", kind: .counter,
                  samples: [.init(Double(status.accepted))]),
            .init(name: "rag_pool_listen_queue", help: "Connections waiting in the FastCGI socket's accept queue.", kind: .gauge,
                  samples: [.init(Double(status.listenQueue))]),
            .init(name: "rag_pool_listen_queue_max", help: "Longest accept queue seen since start (sampled).", kind: .gauge,
                  samples: [.init(Double(status.listenQueueMax))]),
            .init(name: "rag_pool_listen_backlog", help: "The accept queue's limit (BACKLOG, capped by somaxconn).", kind: .gauge,
                  samples: [.init(Double(status.listenBacklog))]),
            .init(name: "rag_metrics_series_dropped_total", help: "Label sets counted into an overflow series because the metrics store was full.",
                  kind: .counter, samples: [.init(Double(metrics.droppedSeries))]),
            .init(name: "process_resident_memory_bytes", help: "Resident memory of the master and all workers.", kind: .gauge,
                  samples: [.init(Double(resident))]),
            .init(name: "process_cpu_seconds_total", help: "CPU time of the master and all workers, past and present.", kind: .counter,
                  samples: [.init(cpu)]),
            .init(name: "process_start_time_seconds", help: "Start time of the master, in seconds since the Unix epoch.", kind: .gauge,
                  samples: [.init(status.startTime)]),
        ]
        return PrometheusText.render(families: metrics.families, snapshot: snapshot, computed: computed)
    }
}

/// A snapshot of the pool for `/status`.
public struct PoolStatus: Sendable {
    public struct Request: Sendable {
        public var thread: Int
        /// Method, path and request id.
        public var request: String
        public var runningSeconds: Double
    }

    public struct Worker: Sendable {
        public var slot: Int
        public var pid: pid_t
        /// booting, idle, busy or stopping.
        public var state: String
        public var threads: Int
        public var busyThreads: Int
        /// Requests served by this slot since the pool started (kept across respawns).
        public var requestsServed: UInt64
        public var current: [Request]
        public var lastRequestSeconds: Double
        public var residentBytes: UInt64
        public var cpuSeconds: Double
        public var uptimeSeconds: Double
    }

    public var startTime: Double
    public var masterPID: pid_t
    public var accepted: UInt64
    public var listenQueue: UInt64
    public var listenQueueMax: UInt64
    public var listenBacklog: UInt64
    public var workers: [Worker]
    public var busyThreads: Int
    public var maxBusyThreads: Int
    public var restarts: [String: UInt64]
    public var deadWorkersCPUSeconds: Double
}
