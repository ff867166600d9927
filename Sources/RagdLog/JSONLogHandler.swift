import Logging
import RagdCore
#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes one JSON object per line to stderr:
/// `{"ts":"...","level":"info","logger":"ragd.pool","msg":"...", <metadata sorted by key>}`
/// (see `JSONLogLine`).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    /// Follows `RagdLogging.level`, so a reload (HUP) can change it after bootstrap.
    public var logLevel: Logger.Level {
        get { RagdLogging.level }
        set { RagdLogging.level = newValue }
    }
    private let label: String

    /// A handler for `label`.
    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        line(level: event.level, message: event.message.description, metadata: event.metadata).write()
    }

    /// The line for one event: the handler's metadata and the event's (which wins), by key.
    public func line(level: Logger.Level, message: String, metadata extra: Logger.Metadata?) -> JSONLogLine {
        var line = JSONLogLine(level: level, label: label, message: message)
        var merged = metadata
        if let extra {
            if merged.isEmpty { merged = extra } else { merged.merge(extra) { _, new in new } }
        }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line.appendKey(key)
            Self.appendJSON(value, to: &line.bytes)
        }
        return line
    }

    /// True when the lines of `logger` are this handler's, with no metadata of its own, so
    /// a `JSONLogLine` with the same fields in key order is exactly what logging them
    /// through `logger` would write.
    public static func writesPlainLines(for logger: Logger) -> Bool {
        (logger.handler as? JSONLogHandler)?.metadata.isEmpty ?? false
    }

    private static func appendJSON(_ value: Logger.Metadata.Value, to line: inout [UInt8]) {
        switch value {
        case .string(let s): JSONText.appendQuoted(s.utf8, to: &line)
        case .stringConvertible(let c as Int): line.append(contentsOf: String(c).utf8)
        default: line.append(contentsOf: json(value).utf8)
        }
    }

    private static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return JSONText.quoted(s)
        case .stringConvertible(let c):
            // Concrete types first: a cast to `any BinaryInteger` looks the conformance up
            // at run time, and Int/Double are what the access log passes. Same output.
            if let n = c as? Int { return String(n) }
            if let d = c as? Double { return d.isFinite ? String(d) : JSONText.quoted(c.description) }
            if let n = c as? any BinaryInteger { return String(describing: n) }
            if let b = c as? Bool { return b ? "true" : "false" }
            return JSONText.quoted(c.description)
        case .array(let values): return "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let dict):
            return JSONText.object(dict.keys.sorted().map { ($0, json(dict[$0]!)) })
        }
    }
}

/// One log line, `{"ts":...,"level":...,"logger":...,"pid":...,"msg":...` and then the
/// caller's fields, built as bytes in one buffer and written in a single `write(2)` to
/// stderr, so lines from the threads and processes of the pool never interleave (stderr
/// writes up to PIPE_BUF are atomic on pipes). `JSONLogHandler` writes every swift-log line
/// through it; the access log, once per request, fills one directly and so skips
/// swift-log's metadata dictionary, its boxed values and the sort (most of a line's cost).
public struct JSONLogLine {
    var bytes: [UInt8] = []

    public init(level: Logger.Level, label: String, message: String) {
        bytes.reserveCapacity(320)
        // The timestamp has only digits and `-:T.Z`: nothing to escape.
        appendRaw(#"{"ts":""#)
        Clock.appendISO8601Now(to: &bytes)
        appendRaw(#"","level":"#)
        JSONText.appendQuoted(level.rawValue.utf8, to: &bytes)
        appendRaw(#","logger":"#)
        JSONText.appendQuoted(label.utf8, to: &bytes)
        appendRaw(#","pid":"#)
        JSONText.appendInteger(Int(ProcessID.current), to: &bytes)
        appendRaw(#","msg":"#)
        JSONText.appendQuoted(message.utf8, to: &bytes)
    }

    // Fields go out in the order they are added; `JSONLogHandler` sorts metadata by key,
    // so a caller that wants the handler's line adds them in key order. Keys are literals
    // (`StaticString`): their bytes are at hand without making a String.

    public mutating func append(_ key: StaticString, _ value: String) {
        appendKey(key)
        JSONText.appendQuoted(value.utf8, to: &bytes)
    }

    public mutating func append(_ key: StaticString, _ value: Int) {
        appendKey(key)
        JSONText.appendInteger(value, to: &bytes)
    }

    /// A number as the handler writes a Double (`String(value)`; not finite: its
    /// description, quoted).
    public mutating func append(_ key: StaticString, _ value: Double) {
        appendKey(key)
        if Self.appendThousandths(value, to: &bytes) { return }
        if value.isFinite {
            bytes.append(contentsOf: String(value).utf8)
        } else {
            JSONText.appendQuoted(value.description.utf8, to: &bytes)
        }
    }

    /// Writes `value` exactly as `String(value)` does when it is a whole number of
    /// thousandths from 0 up to 10^9 (the access log's milliseconds, rounded to
    /// microseconds), and returns false (writing nothing) for any other value.
    ///
    /// Why this is the same text: `String(value)` writes the shortest decimal that reads
    /// back as `value`, in plain notation below 2^53. `value` is the double nearest to
    /// k/1000, and below 10^9 doubles are far closer together than 0.001, so no other
    /// decimal with at most three fraction digits reads back as it, and none with fewer
    /// digits does unless it is k/1000 with trailing zeros dropped, which is what is
    /// written (at least one fraction digit, as `12.0`).
    static func appendThousandths(_ value: Double, to out: inout [UInt8]) -> Bool {
        // NaN fails the comparison; -0.0 (written "-0.0") fails the sign test.
        guard value.sign == .plus, value < 1e9 else { return false }
        let scaled = (value * 1000).rounded()
        guard scaled / 1000 == value else { return false }
        let thousandths = Int(scaled)
        JSONText.appendInteger(thousandths / 1000, to: &out)
        out.append(UInt8(ascii: "."))
        var fraction = thousandths % 1000
        guard fraction > 0 else {
            out.append(UInt8(ascii: "0"))
            return true
        }
        var divisor = 100
        while fraction > 0 {
            out.append(UInt8(ascii: "0") + UInt8(fraction / divisor))
            fraction %= divisor
            divisor /= 10
        }
        return true
    }

    mutating func appendKey(_ key: String) {
        bytes.append(UInt8(ascii: ","))
        JSONText.appendQuoted(key.utf8, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func appendKey(_ key: StaticString) {
        bytes.append(UInt8(ascii: ","))
        key.withUTF8Buffer { JSONText.appendQuoted($0, to: &bytes) }
        bytes.append(UInt8(ascii: ":"))
    }

    /// Appends JSON text as it is.
    private mutating func appendRaw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// The line as it would be written, without its newline (for tests).
    public var text: String { String(decoding: bytes, as: UTF8.self) + "}" }

    /// Closes the line and writes it to stderr.
    public consuming func write() {
        bytes.append(contentsOf: "}\n".utf8)
        bytes.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { break }
            }
        }
    }
}

/// This process's id: getpid(2) is a system call (glibc stopped caching it in 2.25) and
/// every log line, so every request, needs it. Cached, and forgotten in the child of a
/// fork (the pool forks its workers).
enum ProcessID {
    nonisolated(unsafe) private static var cached: pid_t = 0
    private static let forgetInForkedChild: Void = {
        _ = pthread_atfork(nil, nil) { ProcessID.cached = 0 }
    }()

    static var current: pid_t {
        _ = forgetInForkedChild
        if cached == 0 { cached = getpid() }
        return cached
    }
}

/// Process-wide logging set-up: JSON lines on stderr at `level`.
public enum RagdLogging {
    /// The level every ragd logger uses (default `.info`). Set it before forking workers;
    /// each process keeps its own copy afterwards.
    nonisolated(unsafe) public static var level: Logger.Level = .info

    /// Installs the JSON handler; call once per process, before the first logger is made.
    public static func bootstrap(level: Logger.Level) {
        Self.level = level
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
    }
}
