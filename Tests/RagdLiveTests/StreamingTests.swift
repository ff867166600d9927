import Foundation
import RagdTesting
import Testing

/// Streamed responses reach the client through nginx as they are produced.
@Suite(.serialized)
struct StreamingTests {
    @Test func eventsArriveBeforeTheStreamEnds() throws {
        let server = try LiveServer()
        defer { server.stop() }
        try server.start()

        // 4 events, 700 ms apart: the whole stream takes about 2.1 s.
        let client = try EventStreamClient(url: server.baseURL + "/_test/stream?events=4&interval_ms=700", method: "GET",
                                           timeout: 20)
        client.readToEnd()
        let first = try #require(client.events.first?.arrivedAfter)
        let total = try #require(client.events.last?.arrivedAfter)

        #expect(first < 1.0, "the first event is not held back by buffering (arrived after \(first) s)")
        #expect(total >= 2.0, "the stream really lasted (\(total) s)")
        #expect(client.events.map(\.name) == Array(repeating: "tick", count: 4))
        #expect(client.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        #expect(client.headers["x-request-id"] != nil)
    }
}
