#if canImport(Glibc)
import Glibc
#endif
import Logging
import RagdCore
import RagdHTTP

/// Routes that exist only with `ENABLE_TEST_ROUTES=true` (refused in production): they let
/// the live tests hold a request in flight or stream on demand.
public enum TestRoutes {
    public static func register(on router: inout Router) {
        let logger = Logger(label: "ragd.test-routes")
        // Holds the serving thread for `seconds` (default 1, at most 3600).
        router.get("/_test/sleep") { request in
            let seconds = Double(request.queryValue("seconds") ?? "1") ?? -1
            guard seconds >= 0 && seconds <= 3600 else {
                throw Problem(status: 422, code: "invalid-parameter", title: "Invalid parameter",
                              detail: "seconds must be a number from 0 to 3600")
            }
            // Logged so a test knows the request is inside a worker before it acts.
            logger.info("test sleep started", metadata: ["request_id": .string(request.requestID), "seconds": .stringConvertible(seconds)])
            var duration = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
            var remaining = timespec()
            while nanosleep(&duration, &remaining) != 0 && errno == EINTR { duration = remaining }
            return Response.json(JSONText.object([("slept", String(seconds))]))
        }
        // Streams `events` SSE events, `interval_ms` apart, flushing each one.
        router.get("/_test/stream") { request in
            let events = Int(request.queryValue("events") ?? "5") ?? 5
            let interval = Int(request.queryValue("interval_ms") ?? "100") ?? 100
            guard (1...10_000).contains(events), (0...60_000).contains(interval) else {
                throw Problem(status: 422, code: "invalid-parameter", title: "Invalid parameter",
                              detail: "events must be 1...10000 and interval_ms 0...60000")
            }
            return Response.stream(contentType: "text/event-stream") { stream in
                for index in 0..<events {
                    try stream.write("event: tick\ndata: {\"n\":\(index),\"ts\":\(JSONText.quoted(Clock.iso8601Now()))}\n\n")
                    try stream.flush()
                    if interval > 0 { usleep(UInt32(interval) * 1000) }
                }
            }
        }
    }
}
