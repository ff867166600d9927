import Logging
import RagdCore
#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes one JSON object per line to stderr:
/// `{"ts":"...","level":"info","logger":"ragd.pool","msg":"...", <metadata>}`.
///
/// Each line goes out in a single `write(2)`, so lines from the threads and processes of
/// the pool never interleave (stderr writes up to PIPE_BUF are atomic on pipes).
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
        // Built as bytes in one buffer: this runs once per request (the access log), and
        // building an array of (key, JSON text) strings first cost more than the request.
        var line: [UInt8] = []
        line.reserveCapacity(320)
        line.append(contentsOf: #"{"ts":"#.utf8)
        JSONText.appendQuoted(Clock.iso8601Now().utf8, to: &line)
        line.append(contentsOf: #","level":"#.utf8)
        JSONText.appendQuoted(event.level.rawValue.utf8, to: &line)
        line.append(contentsOf: #","logger":"#.utf8)
        JSONText.appendQuoted(label.utf8, to: &line)
        line.append(contentsOf: #","pid":"#.utf8)
        line.append(contentsOf: String(ProcessID.current).utf8)
        line.append(contentsOf: #","msg":"#.utf8)
        JSONText.appendQuoted(event.message.description.utf8, to: &line)
        var merged = metadata
        if let extra = event.metadata {
            if merged.isEmpty { merged = extra } else { merged.merge(extra) { _, new in new } }
        }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line.append(UInt8(ascii: ","))
            JSONText.appendQuoted(key.utf8, to: &line)
            line.append(UInt8(ascii: ":"))
            Self.appendJSON(value, to: &line)
        }
        line.append(contentsOf: "}\n".utf8)
        line.withUnsafeBufferPointer { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { break }
            }
        }
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
