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
        var fields: [(String, String)] = [
            ("ts", JSONText.quoted(Clock.iso8601Now())),
            ("level", JSONText.quoted(event.level.rawValue)),
            ("logger", JSONText.quoted(label)),
            ("pid", String(getpid())),
            ("msg", JSONText.quoted(event.message.description)),
        ]
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for key in merged.keys.sorted() {
            fields.append((key, Self.json(merged[key]!)))
        }
        var line = JSONText.object(fields)
        line += "\n"
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { break }
            }
        }
    }

    private static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return JSONText.quoted(s)
        case .stringConvertible(let c):
            if let n = c as? any BinaryInteger { return String(describing: n) }
            if let d = c as? Double, d.isFinite { return String(d) }
            if let b = c as? Bool { return b ? "true" : "false" }
            return JSONText.quoted(c.description)
        case .array(let values): return "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let dict):
            return JSONText.object(dict.keys.sorted().map { ($0, json(dict[$0]!)) })
        }
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
