import RagdCore
import RagdHTTP

/// The probe endpoints.
///
/// `/health` is liveness: it answers from the worker alone and never touches a dependency,
/// so a database outage does not make Kubernetes restart healthy pods.
/// `/health/ready` is readiness: every dependency is checked, concurrently, each bounded by
/// its own timeout, so the whole probe is bounded by the slowest single timeout. It names
/// a failing dependency ("error: unavailable" or "error: timed out"); the cause is in the
/// worker's log.
public enum HealthRoutes {
    public static func register(on router: inout Router, readiness: Readiness) {
        router.get("/health") { _ in
            // One concatenation (the timestamp needs no escaping): probes call this often.
            Response.json(#"{"status":"healthy","timestamp":""# + Clock.iso8601Now() + #""}"#)
        }
        router.get("/health/ready") { _ in
            let results = readiness.run()
            let ready = results.allSatisfy { $0.outcome == nil }
            // The public answer says which dependency fails, not why: the causes name
            // private hosts and ports, and go to the log (Readiness).
            let checks = results.map { result in
                (result.name, JSONText.quoted(result.outcome == nil ? "ok" : result.timedOut ? "error: timed out" : "error: unavailable"))
            }
            var response = Response.json(JSONText.object([
                ("status", JSONText.quoted(ready ? "ready" : "not_ready")),
                ("checks", JSONText.object(checks)),
            ]), status: ready ? 200 : 503)
            response.headers.set("Cache-Control", "no-store")
            return response
        }
    }
}
