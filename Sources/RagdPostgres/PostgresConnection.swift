import CLibpq
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One PostgreSQL connection over libpq. Owns its `PGconn` and frees it in `deinit`.
///
/// Not thread-safe: a worker keeps one per thread, and creates it after `fork()` (a libpq
/// connection must never be shared across fork).
///
/// Creating the object only parses the URL; the connection is opened by `connect()` or
/// lazily by the first `query`/`ping`, so a worker can boot while the database is down.
/// Before each call the connection is checked and reopened once if it is bad or the server
/// has closed it while idle (restart, failover, idle timeout). A query is never sent
/// twice: if the connection breaks while a query is in flight, the call throws
/// `.connection` and the next call reconnects.
///
/// All waits are bounded with `poll()` on libpq's socket (non-blocking
/// `PQconnectStartParams`/`PQconnectPoll`, `PQsendQueryParams`/`PQconsumeInput`).
/// Host name resolution inside libpq is the one step that cannot be bounded this way;
/// use an IP address or a local resolver where that matters.
public final class PostgresConnection {
    /// The settings this connection was created with.
    public let options: Options

    private let url: PostgresURL
    private var conn: OpaquePointer?

    /// Parses `url` (`postgres://user:password@host:port/db?sslmode=...`) without
    /// connecting. Throws `.invalidURL` with a message that contains no password.
    public init(url: String, options: Options = Options()) throws(PostgresError) {
        self.url = try PostgresURL(url)
        self.options = options
    }

    deinit {
        if let conn { PQfinish(conn) }
    }

    /// Checks that libpq can use `url`, for reporting configuration errors at worker boot.
    /// Throws `.invalidURL` with a message that contains no password.
    public static func validate(url: String) throws(PostgresError) {
        _ = try PostgresURL(url)
    }

    /// True when a connection is open and libpq considers it healthy. It may still turn
    /// out to be broken on the next round trip.
    public var isConnected: Bool {
        guard let conn else { return false }
        return PQstatus(conn) == CONNECTION_OK
    }

    /// Opens the connection now (closing any previous one), bounded by
    /// `options.connectTimeout`.
    public func connect() throws(PostgresError) {
        try reconnect(deadline: .now + options.connectTimeout)
    }

    /// Closes the connection. The next call reconnects.
    public func close() {
        if let conn { PQfinish(conn) }
        conn = nil
    }

    /// Runs one statement with bind parameters (`$1`, `$2`, ...), sent separately from the
    /// SQL text by `PQsendQueryParams`, so values are never parsed as SQL. Values are text
    /// format; nil is SQL NULL. Only one statement per call (the extended protocol refuses
    /// more, which also blocks `; DROP ...` tricks in the SQL string itself).
    ///
    /// Bounded by `options.connectTimeout` for a reconnect and `options.queryTimeout` (if
    /// set) for the result.
    @discardableResult
    public func query(_ sql: String, _ params: [String?] = []) throws(PostgresError) -> PostgresResult {
        let queryDeadline = options.queryTimeout.map { ContinuousClock.now + $0 }
        return try execute(sql, params, connectDeadline: .now + options.connectTimeout,
                           queryDeadline: queryDeadline)
    }

    /// Runs `SELECT 1`, reconnecting first if needed, all within `timeout` (sub-second
    /// values work). Returns the round-trip time. Throws `.timeout` when the bound passes,
    /// after dropping the connection, so that a half-finished exchange is never reused.
    @discardableResult
    public func ping(timeout: Duration) throws(PostgresError) -> Duration {
        let start = ContinuousClock.now
        let deadline = start + timeout
        let connectDeadline = min(deadline, start + options.connectTimeout)
        let result = try execute("SELECT 1", [], connectDeadline: connectDeadline, queryDeadline: deadline)
        guard result.rowCount == 1, result[0, 0] == "1" else {
            throw PostgresError(.query, "unexpected answer to SELECT 1")
        }
        return .now - start
    }

    // MARK: - Connecting

    /// Drops any current connection and opens a new one before `deadline`.
    private func reconnect(deadline: ContinuousClock.Instant) throws(PostgresError) {
        close()
        var keywords = url.parameters.map(\.keyword)
        var values = url.parameters.map(\.value)
        func set(_ keyword: String, _ value: String) {
            if let index = keywords.firstIndex(of: keyword) {
                values[index] = value
            } else {
                keywords.append(keyword)
                values.append(value)
            }
        }
        // libpq enforces connect_timeout only in its blocking connect; we poll ourselves,
        // but pass it anyway (whole seconds, at least 2) in case a libpq code path blocks.
        let seconds = max(2, Int(options.connectTimeout.components.seconds) + 1)
        set("connect_timeout", String(seconds))
        if !keywords.contains("application_name") {
            set("fallback_application_name", options.applicationName)
        }
        if let statementTimeout = options.statementTimeout {
            let ms = max(1, Int(statementTimeout.roundedUpMilliseconds))
            let existing = url.parameters.first(where: { $0.keyword == "options" })?.value
            set("options", [existing, "-c statement_timeout=\(ms)"].compactMap { $0 }.joined(separator: " "))
        }

        let started: OpaquePointer? = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectStartParams(keywordPointers, valuePointers, 0)
            }
        }
        guard let started else {
            throw PostgresError(.connection, "out of memory starting a connection")
        }
        conn = started
        // libpq prints NOTICE/WARNING messages to stderr by default; a server's stderr is
        // its log stream, so drop them (errors still arrive as results).
        PQsetNoticeProcessor(started, ignoreNotice, nil)
        if PQstatus(started) == CONNECTION_BAD {
            throw connectionFailure(started)
        }
        // The documented protocol: behave as if PQconnectPoll had said "writing" first.
        var state = PGRES_POLLING_WRITING
        while true {
            switch state {
            case PGRES_POLLING_OK:
                return
            case PGRES_POLLING_FAILED:
                throw connectionFailure(started)
            default:
                // The socket can change between calls (next host, SSL/GSS fallback).
                let outcome = SocketWait.wait(fd: PQsocket(started), forWrite: state == PGRES_POLLING_WRITING,
                                              until: deadline)
                switch outcome {
                case .ready:
                    break
                case .timedOut:
                    close()
                    throw PostgresError(.timeout, "connecting to \(endpoint) timed out")
                case .failed(let err):
                    close()
                    throw PostgresError(.connection, "waiting on the socket failed (errno \(err))")
                }
            }
            state = PQconnectPoll(started)
        }
    }

    /// Builds an error from a failed connection and drops it.
    private func connectionFailure(_ failed: OpaquePointer) -> PostgresError {
        let message = url.redactor.redact(String(cString: PQerrorMessage(failed)).trimmingTrailingNewlines())
        close()
        return PostgresError(.connection, message.isEmpty ? "cannot connect to \(endpoint)" : message)
    }

    /// `host:port` from the URL for messages (never user or password).
    private var endpoint: String {
        let host = url.parameters.first(where: { $0.keyword == "host" || $0.keyword == "hostaddr" })?.value
        let port = url.parameters.first(where: { $0.keyword == "port" })?.value
        return "\(host ?? "default host"):\(port ?? "5432")"
    }

    /// Returns a usable connection, reconnecting once if there is none, libpq marks it bad,
    /// or the server closed it while it was idle.
    private func usableConnection(deadline: ContinuousClock.Instant) throws(PostgresError) -> OpaquePointer {
        if let conn, PQstatus(conn) == CONNECTION_OK {
            // An idle connection (no LISTEN here) has nothing to read unless the server
            // said goodbye (FATAL: terminating connection...) or closed the socket, so
            // readable means stale. Reconnecting now turns a server restart into a clean
            // reconnect instead of a failed query; in the rare harmless case (a
            // ParameterStatus after a config reload) it costs one needless reconnect.
            let fd = PQsocket(conn)
            if fd >= 0 && !SocketWait.hasPendingInput(fd: fd) { return conn }
        }
        try reconnect(deadline: deadline)
        guard let conn else { throw PostgresError(.connection, "not connected") }
        return conn
    }

    // MARK: - Running statements

    private func execute(
        _ sql: String, _ params: [String?],
        connectDeadline: ContinuousClock.Instant, queryDeadline: ContinuousClock.Instant?
    ) throws(PostgresError) -> PostgresResult {
        if params.contains(where: { $0?.utf8.contains(0) ?? false }) {
            throw PostgresError(.invalidParameter, "a bind parameter contains a NUL byte")
        }
        guard params.count <= Int(Int32.max) else {
            throw PostgresError(.invalidParameter, "too many bind parameters")
        }
        var conn = try usableConnection(deadline: connectDeadline)
        if !send(sql, params, on: conn) {
            // Nothing reached the server (the send itself failed), so one retry on a fresh
            // connection cannot run the statement twice.
            try reconnect(deadline: connectDeadline)
            guard let fresh = self.conn else { throw PostgresError(.connection, "not connected") }
            conn = fresh
            if !send(sql, params, on: conn) {
                throw failure(on: conn, fallback: "cannot send the query")
            }
        }
        return try collectResult(on: conn, deadline: queryDeadline)
    }

    /// Sends the statement; false when libpq could not send it.
    private func send(_ sql: String, _ params: [String?], on conn: OpaquePointer) -> Bool {
        let sent = withOptionalCStringArray(params) { values in
            PQsendQueryParams(conn, sql, Int32(params.count), nil, values, nil, nil, 0)
        }
        return sent == 1
    }

    /// Reads every result of the statement in flight, waiting on the socket until
    /// `deadline`. Returns the last result, or throws for the first error.
    private func collectResult(on conn: OpaquePointer, deadline: ContinuousClock.Instant?) throws(PostgresError) -> PostgresResult {
        var firstError: PostgresError?
        var last: PostgresResult?
        while true {
            while PQisBusy(conn) == 1 {
                switch SocketWait.wait(fd: PQsocket(conn), forWrite: false, until: deadline) {
                case .ready:
                    if PQconsumeInput(conn) == 0 {
                        let error = failure(on: conn, fallback: "the connection broke during the query")
                        close()
                        throw error
                    }
                case .timedOut:
                    // The server may still be working; dropping the connection makes it
                    // stop at its next write and keeps this thread's bound.
                    close()
                    throw PostgresError(.timeout, "no answer from \(endpoint) within the time limit")
                case .failed(let err):
                    close()
                    throw PostgresError(.connection, "waiting on the socket failed (errno \(err))")
                }
            }
            guard let raw = PQgetResult(conn) else { break }
            let result = PostgresResult(taking: raw)
            let status = PQresultStatus(raw)
            switch status {
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
                last = result
            default:
                if firstError == nil { firstError = resultError(raw, status: status, on: conn) }
            }
        }
        if let firstError {
            if PQstatus(conn) != CONNECTION_OK { close() }
            throw firstError
        }
        guard let last else { throw failure(on: conn, fallback: "no result") }
        return last
    }

    private func resultError(_ raw: OpaquePointer, status: ExecStatusType, on conn: OpaquePointer) -> PostgresError {
        let sqlState = PQresultErrorField(raw, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        var message = String(cString: PQresultErrorMessage(raw)).trimmingTrailingNewlines()
        if message.isEmpty { message = String(cString: PQresStatus(status)) }
        message = url.redactor.redact(message)
        // 57014 query_canceled: statement_timeout (or an operator's cancel).
        if sqlState == "57014" { return PostgresError(.timeout, message, sqlState: sqlState) }
        // Class 08 is connection exceptions; 57P01..03 are shutdown/crash notices.
        if let sqlState, sqlState.hasPrefix("08") || sqlState.hasPrefix("57P") {
            return PostgresError(.connection, message, sqlState: sqlState)
        }
        if sqlState == nil && PQstatus(conn) != CONNECTION_OK {
            return PostgresError(.connection, message)
        }
        return PostgresError(.query, message, sqlState: sqlState)
    }

    private func failure(on conn: OpaquePointer, fallback: String) -> PostgresError {
        let message = url.redactor.redact(String(cString: PQerrorMessage(conn)).trimmingTrailingNewlines())
        let code: PostgresError.Code = PQstatus(conn) == CONNECTION_OK ? .query : .connection
        return PostgresError(code, message.isEmpty ? fallback : message)
    }
}

/// A notice processor that discards server notices (no captures: a C function pointer).
private let ignoreNotice: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Void = { _, _ in }

// MARK: - C string arrays

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStringArray(strings + [nil]) { body($0!) }
}

/// Calls `body` with an array of C strings where nil stays a NULL pointer (SQL NULL),
/// or with NULL for an empty array. All strings are copied into one buffer, NUL after
/// each, so there is no per-string allocation that could fail silently.
private func withOptionalCStringArray<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    if strings.isEmpty { return body(nil) }
    var buffer: [CChar] = []
    var offsets: [Int?] = []
    for string in strings {
        guard let string else { offsets.append(nil); continue }
        offsets.append(buffer.count)
        buffer.append(contentsOf: string.utf8.map { CChar(bitPattern: $0) })
        buffer.append(0)
    }
    return buffer.withUnsafeBufferPointer { bytes in
        let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in offset.map { bytes.baseAddress! + $0 } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
