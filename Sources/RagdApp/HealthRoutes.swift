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
    private static let healthPrefix: StaticString = #"{"status":"healthy","timestamp":""#
    private static let healthSuffix: StaticString = #""}"#

    public static func register(on router: inout Router, readiness: Readiness) {
        router.get("/health") { _ in
            // Written as bytes, the timestamp from the per-second cache (it needs no
            // escaping): probes and load balancers call this often.
            var body: [UInt8] = []
            body.reserveCapacity(64)
            Self.healthPrefix.withUTF8Buffer { body.append(contentsOf: $0) }
            Clock.withISO8601Now { body.append(contentsOf: $0) }
            Self.healthSuffix.withUTF8Buffer { body.append(contentsOf: $0) }
            return Response.json(bytes: body)
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
