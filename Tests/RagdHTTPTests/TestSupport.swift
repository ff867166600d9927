import Foundation
import Logging
import RagdHTTP
import Testing

// Helpers shared by the RagdHTTP tests: building requests, reading bodies back, and
// recording what observers and the logger saw. Everything runs the real code in-process.

/// A request for `target` (`/path?query`), the way the transport would build it.
func makeRequest(_ method: String, _ target: String, requestID: String = "req-test-1") -> Request {
    if let mark = target.firstIndex(of: "?") {
        return Request(method: method, path: String(target[..<mark]),
                       query: String(target[target.index(after: mark)...]), requestID: requestID)
    }
    return Request(method: method, path: target, requestID: requestID)
}

/// A GET request for `target`.
func makeRequest(_ target: String) -> Request {
    makeRequest("GET", target)
}

/// A handler that answers 200 with `name` as its body, so a test can tell which handler ran.
func answer(_ name: String) -> Handler {
    { _ in .text(name) }
}

extension Response {
    /// The whole body, or nil for a streamed one.
    var bodyBytes: [UInt8]? {
        if case .bytes(let bytes) = body { return bytes }
        return nil
    }

    var bodyText: String? { bodyBytes.map { String(decoding: $0, as: UTF8.self) } }

    /// The body parsed by Foundation's parser (not ours), so malformed JSON fails the test.
    func jsonObject() throws -> [String: Any] {
        let bytes = try #require(bodyBytes, "expected a whole body, got a stream")
        let value = try JSONSerialization.jsonObject(with: Data(bytes))
        return try #require(value as? [String: Any], "body is JSON but not an object")
    }

    /// Every value of header `name` (case-insensitive), in order.
    func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }
}

extension Router.Match {
    var foundTemplate: String? {
        if case .found(let template, _, _) = self { return template }
        return nil
    }

    var foundParameters: [String: String]? {
        if case .found(_, let parameters, _) = self { return parameters }
        return nil
    }

    var foundHandler: Handler? {
        if case .found(_, _, let handler) = self { return handler }
        return nil
    }

    var isNotFound: Bool {
        if case .notFound = self { return true }
        return false
    }

    /// The template and `Allow` list of a 405, nil otherwise.
    var methodNotAllowed: (template: String, allowed: [String])? {
        if case .methodNotAllowed(let template, let allowed) = self { return (template, allowed) }
        return nil
    }
}

/// Runs the handler a match picked and returns its body text, to tell which one it was.
func bodyOf(_ handler: Handler?) throws -> String? {
    let handler = try #require(handler, "expected a match with a handler")
    return try handler(makeRequest("/")).bodyText
}

/// A thread-safe list that `@Sendable` observers and log handlers can append to.
final class Recorder<Element>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Element] = []

    func append(_ element: Element) {
        lock.lock()
        defer { lock.unlock() }
        storage.append(element)
    }

    var items: [Element] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}

/// One captured log record.
struct LoggedRecord: Sendable {
    var level: Logger.Level
    var message: String
    var metadata: Logger.Metadata
}

/// A log handler that keeps records in memory, to check what reaches the log (and what
/// the client does not see).
struct RecordingLogHandler: LogHandler {
    let recorder: Recorder<LoggedRecord>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        recorder.append(LoggedRecord(level: event.level, message: event.message.description,
                                     metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }
}

/// A logger writing into `recorder` instead of stdout.
func recordingLogger(_ recorder: Recorder<LoggedRecord>, level: Logger.Level = .trace) -> Logger {
    var logger = Logger(label: "ragd.http.test") { _ in RecordingLogHandler(recorder: recorder) }
    logger.logLevel = level
    return logger
}

/// A `ResponseStream` that keeps what a producer wrote.
final class CollectingStream: ResponseStream {
    private(set) var written: [UInt8] = []
    private(set) var flushes = 0

    func write(_ bytes: [UInt8]) throws { written.append(contentsOf: bytes) }

    func flush() throws { flushes += 1 }

    var isClientConnected: Bool { true }

    var text: String { String(decoding: written, as: UTF8.self) }
}

/// Text with everything a JSON writer must escape or must pass through untouched:
/// quotes, backslashes, line breaks, every C0 control (NUL included), DEL, text that looks
/// like JSON or an escape, and non-ASCII (accents, CJK, an astral emoji, U+2028/U+2029, BOM).
let trickyText: String = {
    var text = "say \"hi\" \\ back\\slash \\u0041 </script> {\"a\":1}\n\r\t"
    for value in 0..<0x20 { text.unicodeScalars.append(Unicode.Scalar(UInt8(value))) }
    text += "\u{7F} é ß 日本語 🚀 \u{2028}\u{2029} \u{FEFF}end"
    return text
}()
