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
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-skN", "--max-time", "20", "-D", "-", server.baseURL + "/_test/stream?events=4&interval_ms=700"]
        let output = Pipe()
        curl.standardOutput = output
        let started = Date()
        try curl.run()
        var received = Data()
        var firstEventAt: Double?
        while firstEventAt == nil {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            received.append(chunk)
            if String(decoding: received, as: UTF8.self).contains("event: tick") {
                firstEventAt = Date().timeIntervalSince(started)
            }
        }
        received.append(output.fileHandleForReading.readDataToEndOfFile())
        curl.waitUntilExit()
        let total = Date().timeIntervalSince(started)
        let text = String(decoding: received, as: UTF8.self)

        let first = try #require(firstEventAt)
        #expect(first < 1.0, "the first event is not held back by buffering (arrived after \(first) s)")
        #expect(total >= 2.0, "the stream really lasted (\(total) s)")
        #expect(text.components(separatedBy: "event: tick").count - 1 == 4)
        #expect(text.lowercased().contains("content-type: text/event-stream"))
        #expect(text.lowercased().contains("x-request-id:"))
    }
}
