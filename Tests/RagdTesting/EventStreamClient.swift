import Foundation

/// A streamed request made with `curl -N` (no buffering), read as it arrives: the live
/// tests use it to see when each server-sent event reaches the client, and to walk away
/// from a stream midway.
public final class EventStreamClient: @unchecked Sendable {
    public struct Event: Sendable {
        public var name: String
        public var data: String
        /// Seconds since the request was started, when the event had fully arrived.
        public var arrivedAfter: Double
        /// The wall-clock time (seconds since 1970) it arrived, to compare with other processes' logs.
        public var arrivedAt: Double

        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any]
        }
    }

    private let process: ChildProcess
    /// curl's stderr (empty: -s silences it), in a file of its own removed with the client.
    private let errorsPath = FileManager.default.temporaryDirectory.appendingPathComponent("sse-curl-\(UUID().uuidString).log").path
    private let started = Date()
    private var buffer = ""
    private var headRead = false
    /// Everything received so far, headers included.
    public private(set) var received = ""
    public private(set) var events: [Event] = []
    /// SSE comment lines (`: keep-alive`) received so far.
    public private(set) var comments: [String] = []

    public init(url: String, method: String = "POST", headers: [String: String] = [:], body: String? = nil,
                timeout: Double = 60) throws {
        var arguments = ["-skN", "--max-time", String(timeout), "-D", "-", "-X", method, url]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let body { arguments += ["--data-binary", body] }
        process = try ChildProcess("/usr/bin/curl", arguments, logPath: errorsPath, pipeOutput: true)
    }

    /// Reads until `done` holds for the events so far or the stream ends; true when `done` held.
    @discardableResult
    public func read(until done: ([Event]) -> Bool) -> Bool {
        while !done(events) {
            let chunk = process.output!.availableData
            if chunk.isEmpty { return done(events) }
            let text = String(decoding: chunk, as: UTF8.self)
            received += text
            buffer += text
            parse()
        }
        return true
    }

    /// Reads to the end of the stream.
    public func readToEnd() {
        read { _ in false }
        _ = process.waitForExit()
    }

    /// The response headers (names lower-cased), once received.
    public var headers: [String: String] {
        guard let end = received.range(of: "\r\n\r\n") else { return [:] }
        var parsed: [String: String] = [:]
        for line in received[..<end.lowerBound].split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            parsed[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return parsed
    }

    public var status: Int {
        guard let line = received.split(separator: "\r\n").first else { return 0 }
        let parts = line.split(separator: " ")
        return parts.count > 1 ? Int(parts[1]) ?? 0 : 0
    }

    /// Closes the connection as a leaving browser would (kills curl); returns the wall-clock
    /// time of the kill.
    @discardableResult
    public func abandon() -> Double {
        let now = Date().timeIntervalSince1970
        process.signal(SIGKILL)
        _ = process.waitForExit()
        return now
    }

    private func parse() {
        // The head ends at the first blank CRLF line; events are separated by "\n\n".
        if !headRead {
            guard let head = buffer.range(of: "\r\n\r\n") else { return }
            buffer = String(buffer[head.upperBound...])
            headRead = true
        }
        while let end = buffer.range(of: "\n\n") {
            let block = buffer[..<end.lowerBound]
            buffer = String(buffer[end.upperBound...])
            var name = "message", data: [String] = []
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix(":") {
                    comments.append(String(line))
                } else if line.hasPrefix("event: ") {
                    name = String(line.dropFirst(7))
                } else if line.hasPrefix("data: ") {
                    data.append(String(line.dropFirst(6)))
                }
            }
            guard !data.isEmpty else { continue }
            events.append(Event(name: name, data: data.joined(separator: "\n"),
                                arrivedAfter: Date().timeIntervalSince(started), arrivedAt: Date().timeIntervalSince1970))
        }
    }

    deinit {
        abandon()
        try? FileManager.default.removeItem(atPath: errorsPath)
    }
}
