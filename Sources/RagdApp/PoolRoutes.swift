import RagdCore
import RagdHTTP
import RagdMetrics
import RagdPool

/// `/metrics` (Prometheus) and `/status` (php-fpm-style pool page) for the whole pool,
/// whichever worker answers. nginx keeps both off the public listener.
public enum PoolRoutes {
    public static func register(on router: inout Router, pool: any PoolReporter) {
        router.get("/metrics") { _ in
            var response = Response.text(pool.metricsText(), contentType: PrometheusText.contentType)
            response.headers.set("Cache-Control", "no-store")
            return response
        }
        router.get("/status") { request in
            let status = pool.status()
            let full = request.hasQueryParameter("full")
            let format = request.queryValue("format")
            let wantsText = format == "text" || (format == nil && (request.headers["accept"] ?? "").hasPrefix("text/plain"))
            if let format, format != "text" && format != "json" {
                throw Problem(status: 422, code: "invalid-parameter", title: "Invalid parameter",
                              detail: "format must be json or text")
            }
            var response = wantsText ? Response.text(text(status, full: full)) : Response.json(json(status, full: full))
            response.headers.set("Cache-Control", "no-store")
            return response
        }
    }

    // MARK: JSON

    static func json(_ status: PoolStatus, full: Bool) -> String {
        let counts = stateCounts(status)
        let totalThreads = status.workers.reduce(0) { $0 + $1.threads }
        var fields: [(String, String)] = [
            ("start_time", JSONText.quoted(Clock.iso8601(seconds: Int(status.startTime), microseconds: nil))),
            ("start_since_seconds", String(Int(Clock.wallSeconds() - status.startTime))),
            ("master_pid", String(status.masterPID)),
            ("accepted_requests", String(status.accepted)),
            ("listen_queue", String(status.listenQueue)),
            ("max_listen_queue", String(status.listenQueueMax)),
            ("listen_backlog", String(status.listenBacklog)),
            ("workers", JSONText.object(counts.map { ($0.0, String($0.1)) } + [("total", String(status.workers.count))])),
            ("threads", JSONText.object([
                ("busy", String(status.busyThreads)), ("idle", String(totalThreads - status.busyThreads)),
                ("total", String(totalThreads)), ("max_busy", String(status.maxBusyThreads)),
            ])),
            ("restarts", JSONText.object(status.restarts.keys.sorted().map { ($0, String(status.restarts[$0]!)) })),
        ]
        if full {
            fields.append(("processes", "[" + status.workers.map(workerJSON).joined(separator: ",") + "]"))
        }
        return JSONText.object(fields)
    }

    private static func workerJSON(_ worker: PoolStatus.Worker) -> String {
        JSONText.object([
            ("pid", String(worker.pid)), ("slot", String(worker.slot)), ("state", JSONText.quoted(worker.state)),
            ("threads", String(worker.threads)), ("busy_threads", String(worker.busyThreads)),
            ("requests", String(worker.requestsServed)),
            ("current_requests", "[" + worker.current.map { request in
                JSONText.object([
                    ("thread", String(request.thread)), ("request", JSONText.quoted(request.request)),
                    ("running_seconds", seconds(request.runningSeconds)),
                ])
            }.joined(separator: ",") + "]"),
            ("last_request_seconds", seconds(worker.lastRequestSeconds)),
            ("rss_bytes", String(worker.residentBytes)),
            ("cpu_seconds", seconds(worker.cpuSeconds)),
            ("uptime_seconds", seconds(worker.uptimeSeconds)),
        ])
    }

    // MARK: text

    static func text(_ status: PoolStatus, full: Bool) -> String {
        let counts = stateCounts(status)
        let totalThreads = status.workers.reduce(0) { $0 + $1.threads }
        var lines = [
            "start time:         \(Clock.iso8601(seconds: Int(status.startTime), microseconds: nil))",
            "start since:        \(Int(Clock.wallSeconds() - status.startTime)) s",
            "master pid:         \(status.masterPID)",
            "accepted requests:  \(status.accepted)",
            "listen queue:       \(status.listenQueue) (max \(status.listenQueueMax), backlog \(status.listenBacklog))",
            "workers:            " + counts.map { "\($0.1) \($0.0)" }.joined(separator: ", ") + ", \(status.workers.count) total",
            "threads:            \(status.busyThreads) busy, \(totalThreads - status.busyThreads) idle, \(totalThreads) total, max busy \(status.maxBusyThreads)",
            "restarts:           " + (status.restarts.isEmpty ? "none" : status.restarts.keys.sorted().map { "\($0) \(status.restarts[$0]!)" }.joined(separator: ", ")),
        ]
        if full {
            for worker in status.workers {
                lines.append("")
                lines.append("pid \(worker.pid) (slot \(worker.slot)): \(worker.state), \(worker.busyThreads)/\(worker.threads) threads busy, \(worker.requestsServed) requests, last \(seconds(worker.lastRequestSeconds)) s, rss \(worker.residentBytes / 1024) KiB, up \(Int(worker.uptimeSeconds)) s")
                for request in worker.current {
                    lines.append("  thread \(request.thread): \(request.request) running \(seconds(request.runningSeconds)) s")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func stateCounts(_ status: PoolStatus) -> [(String, Int)] {
        ["idle", "busy", "booting", "stopping"].map { state in (state, status.workers.filter { $0.state == state }.count) }
    }

    private static func seconds(_ value: Double) -> String {
        String((value * 1000).rounded() / 1000)
    }
}
