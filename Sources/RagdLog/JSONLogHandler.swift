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
            line.withArray { Self.appendJSON(value, to: &$0) }
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
    /// The line so far is `storage[..<count]`; the rest is zeros kept as room, so that each
    /// piece is copied into place: an Array append of a few bytes cost ~100 instructions
    /// when measured, and an access log line has ~50 pieces.
    private var storage = [UInt8](repeating: 0, count: 320)
    private var count = 0

    public init(level: Logger.Level, label: String, message: String) {
        // The timestamp has only digits and `-:T.Z`: nothing to escape.
        put(#"{"ts":""#)
        Clock.withISO8601Now { put($0) }
        put(#"","level":"#)
        putQuoted(level.rawValue)
        put(#","logger":"#)
        putQuoted(label)
        put(#","pid":"#)
        putInteger(Int(ProcessID.current))
        put(#","msg":"#)
        putQuoted(message)
    }

    // Fields go out in the order they are added; `JSONLogHandler` sorts metadata by key,
    // so a caller that wants the handler's line adds them in key order. Keys are literals
    // (`StaticString`): their bytes are at hand without making a String.

    public mutating func append(_ key: StaticString, _ value: String) {
        appendKey(key)
        putQuoted(value)
    }

    public mutating func append(_ key: StaticString, _ value: Int) {
        appendKey(key)
        putInteger(value)
    }

    /// A number as the handler writes a Double (`String(value)`; not finite: its
    /// description, quoted).
    public mutating func append(_ key: StaticString, _ value: Double) {
        appendKey(key)
        let written: Bool = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.thousandthsCapacity) { digits in
            guard let length = Self.writeThousandths(value, into: digits.baseAddress!) else { return false }
            put(UnsafeBufferPointer(rebasing: digits[..<length]))
            return true
        }
        if written { return }
        if value.isFinite {
            withArray { $0.append(contentsOf: String(value).utf8) }
        } else {
            putQuoted(value.description)
        }
    }

    /// Room `writeThousandths` needs: nine digits, the point and three more.
    static let thousandthsCapacity = 13

    /// Writes `value` exactly as `String(value)` does when it is a whole number of
    /// thousandths from 0 up to 10^9 (the access log's milliseconds, rounded to
    /// microseconds), and returns how many bytes; nil (nothing written) for any other value.
    ///
    /// Why this is the same text: `String(value)` writes the shortest decimal that reads
    /// back as `value`, in plain notation below 2^53. `value` is the double nearest to
    /// k/1000, and below 10^9 doubles are far closer together than 0.001, so no other
    /// decimal with at most three fraction digits reads back as it, and none with fewer
    /// digits does unless it is k/1000 with trailing zeros dropped, which is what is
    /// written (at least one fraction digit, as `12.0`).
    static func writeThousandths(_ value: Double, into out: UnsafeMutablePointer<UInt8>) -> Int? {
        // NaN fails the comparison; -0.0 (written "-0.0") fails the sign test.
        guard value.sign == .plus, value < 1e9 else { return nil }
        let scaled = (value * 1000).rounded()
        guard scaled / 1000 == value else { return nil }
        let thousandths = Int(scaled)
        var whole = thousandths / 1000, digits = 1
        while whole >= 10 { whole /= 10; digits += 1 }
        whole = thousandths / 1000
        for index in stride(from: digits - 1, through: 0, by: -1) {
            out[index] = UInt8(ascii: "0") + UInt8(whole % 10)
            whole /= 10
        }
        out[digits] = UInt8(ascii: ".")
        var length = digits + 1
        var fraction = thousandths % 1000
        guard fraction > 0 else {
            out[length] = UInt8(ascii: "0")
            return length + 1
        }
        var divisor = 100
        while fraction > 0 {
            out[length] = UInt8(ascii: "0") + UInt8(fraction / divisor)
            length += 1
            fraction %= divisor
            divisor /= 10
        }
        return length
    }

    mutating func appendKey(_ key: String) {
        put(UInt8(ascii: ","))
        putQuoted(key)
        put(UInt8(ascii: ":"))
    }

    private mutating func appendKey(_ key: StaticString) {
        put(UInt8(ascii: ","))
        key.withUTF8Buffer { putQuoted($0) }
        put(UInt8(ascii: ":"))
    }

    /// Lets `body` append to the line as an Array (for writers that take one: the
    /// handler's metadata values, escaping); the room is given back after.
    mutating func withArray(_ body: (inout [UInt8]) -> Void) {
        storage.removeSubrange(count...)
        body(&storage)
        count = storage.count
    }

    // MARK: writing in place

    /// Makes room for `needed` more bytes after the line.
    @inline(__always)
    private mutating func reserve(_ needed: Int) {
        if storage.count - count < needed {
            storage.append(contentsOf: repeatElement(0, count: Swift.max(needed, storage.count)))
        }
    }

    private mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        let at = count
        storage.withUnsafeMutableBufferPointer { room in
            UnsafeMutableRawPointer(room.baseAddress! + at).copyMemory(from: source, byteCount: bytes.count)
        }
        count += bytes.count
    }

    private mutating func put(_ byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count += 1
    }

    /// JSON text as it is.
    private mutating func put(_ text: StaticString) {
        text.withUTF8Buffer { put($0) }
    }

    /// `text` as a JSON string literal: copied between quotes when nothing in it needs
    /// escaping (the usual case: ids, routes, methods), else escaped by `JSONText`.
    private mutating func putQuoted(_ text: UnsafeBufferPointer<UInt8>) {
        guard !JSONText.needsEscaping(text) else {
            withArray { JSONText.appendQuoted(text, to: &$0) }
            return
        }
        reserve(text.count + 2)
        let at = count
        storage.withUnsafeMutableBufferPointer { room in
            room[at] = UInt8(ascii: "\"")
            if let source = text.baseAddress, !text.isEmpty {
                UnsafeMutableRawPointer(room.baseAddress! + at + 1).copyMemory(from: source, byteCount: text.count)
            }
            room[at + 1 + text.count] = UInt8(ascii: "\"")
        }
        count += text.count + 2
    }

    private mutating func putQuoted(_ text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ putQuoted($0) }) == nil {
            withArray { JSONText.appendQuoted(text.utf8, to: &$0) }
        }
    }

    /// The decimal digits of `value`, as `String(value)` writes them.
    private mutating func putInteger(_ value: Int) {
        var magnitude = value.magnitude, digits = 1
        while magnitude >= 10 { magnitude /= 10; digits += 1 }
        let length = value < 0 ? digits + 1 : digits
        reserve(length)
        let end = count + length
        storage.withUnsafeMutableBufferPointer { room in
            if value < 0 { room[end - length] = UInt8(ascii: "-") }
            var magnitude = value.magnitude, index = end - 1
            repeat {
                room[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                index -= 1
            } while magnitude > 0
        }
        count = end
    }

    /// The line as it would be written, without its newline (for tests).
    public var text: String { String(decoding: storage[..<count], as: UTF8.self) + "}" }

    /// Closes the line and writes it to stderr.
    public consuming func write() {
        put("}\n")
        let length = count
        storage.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < length {
                let n = Glibc.write(2, buffer.baseAddress! + offset, length - offset)
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
