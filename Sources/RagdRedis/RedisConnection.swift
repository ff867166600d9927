import CHiredis
#if canImport(Glibc)
import Glibc
#endif

/// One Redis connection over hiredis (blocking API with timeouts). Owns its
/// `redisContext` and frees it in `deinit`.
///
/// Not thread-safe: a worker keeps one per thread and creates it after `fork()`.
///
/// Creating the object only parses the URL; the connection opens on `connect()` or the
/// first command, so a worker can boot while Redis is down. Before each command the
/// connection is reopened (with AUTH and SELECT again) if it has none, hiredis reported an
/// error on it, or Redis closed it while idle. A command is never sent twice: when the
/// connection breaks mid-command the call throws and the next call reconnects.
///
/// Commands go only through `redisCommandArgv` (binary-safe argument vectors, no format
/// strings), so user data can never change a command's shape.
public final class RedisConnection {
    /// The settings this connection was created with.
    public let options: Options

    private let url: RedisURL
    private var context: UnsafeMutablePointer<redisContext>?

    /// Parses `url` (`redis://[[user]:password@]host[:port][/db]`) without connecting.
    /// `rediss://` is reported as `.unsupported`. Messages contain no password.
    public init(url: String, options: Options = Options()) throws(RedisError) {
        self.url = try RedisURL(url)
        self.options = options
    }

    deinit {
        if let context { redisFree(context) }
    }

    /// Checks a Redis URL, for reporting configuration errors at worker boot.
    public static func validate(url: String) throws(RedisError) {
        _ = try RedisURL(url)
    }

    /// True when a connection is open and hiredis has seen no error on it.
    public var isConnected: Bool {
        guard let context else { return false }
        return context.pointee.err == 0
    }

    /// `host:port` of the server, for messages and logs.
    public var endpoint: String {
        url.host.contains(":") ? "[\(url.host)]:\(url.port)" : "\(url.host):\(url.port)"
    }

    /// Opens the connection now (closing any previous one), with AUTH and SELECT.
    public func connect() throws(RedisError) {
        try reconnect(connectTimeout: options.connectTimeout)
    }

    /// Closes the connection. The next command reconnects.
    public func close() {
        if let context { redisFree(context) }
        context = nil
    }

    /// Sends one command as an argument vector (binary-safe) and returns the reply.
    /// Error replies come back as `.error`, not thrown; `throwIfError()` turns them into
    /// errors. Throws for connection problems and timeouts.
    public func command(_ arguments: [[UInt8]]) throws(RedisError) -> RedisReply {
        precondition(!arguments.isEmpty, "a Redis command needs at least its name")
        let context = try usableContext(connectTimeout: options.connectTimeout)
        return try send(arguments, on: context)
    }

    /// Sends one command whose arguments are all text (UTF-8).
    public func command(_ arguments: [String]) throws(RedisError) -> RedisReply {
        try command(arguments.map { Array($0.utf8) })
    }

    /// Sends one command whose arguments are all text (UTF-8).
    public func command(_ name: String, _ arguments: String...) throws(RedisError) -> RedisReply {
        try command([name] + arguments)
    }

    /// Sends PING and expects PONG, reconnecting first if needed. With `timeout`, both the
    /// connect and the round trip are bounded by it (instead of the configured timeouts).
    /// Returns the round-trip time.
    @discardableResult
    public func ping(timeout: Duration? = nil) throws(RedisError) -> Duration {
        let start = ContinuousClock.now
        let connectTimeout = timeout.map { min($0, options.connectTimeout) } ?? options.connectTimeout
        let context = try usableContext(connectTimeout: connectTimeout)
        if let timeout {
            // Tighten SO_RCVTIMEO/SO_SNDTIMEO for this round trip only.
            let remaining = max(timeout - (.now - start), .milliseconds(1))
            redisSetTimeout(context, timeval(remaining))
        }
        let reply = try send([Array("PING".utf8)], on: context)
        if timeout != nil, let context = self.context {
            redisSetTimeout(context, timeval(options.commandTimeout))
        }
        guard reply == .status("PONG") else {
            if case .error(let message) = reply { throw RedisError(.reply, message) }
            throw RedisError(.protocolError, "unexpected answer to PING")
        }
        return .now - start
    }

    // MARK: - Connecting

    private func reconnect(connectTimeout: Duration) throws(RedisError) {
        close()
        guard let fresh = redisConnectWithTimeout(url.host, Int32(url.port), timeval(connectTimeout)) else {
            throw RedisError(.connection, "cannot allocate a connection to \(endpoint)")
        }
        if fresh.pointee.err != 0 {
            let reason = errorText(fresh)
            redisFree(fresh)
            let code: RedisError.Code = isTimeout(reason) ? .timeout : .connection
            throw RedisError(code, "cannot connect to \(endpoint): \(reason)")
        }
        guard redisSetTimeout(fresh, timeval(options.commandTimeout)) == REDIS_OK else {
            let reason = errorText(fresh)
            redisFree(fresh)
            throw RedisError(.connection, "cannot set the command timeout: \(reason)")
        }
        context = fresh
        // hiredis does not set close-on-exec; a child process must not keep this socket.
        if fresh.pointee.fd >= 0 { _ = fcntl(fresh.pointee.fd, F_SETFD, FD_CLOEXEC) }

        if let password = url.password {
            var auth = [Array("AUTH".utf8)]
            if let username = url.username { auth.append(Array(username.utf8)) }
            auth.append(Array(password.utf8))
            let reply = try send(auth, on: fresh)
            if case .error(let message) = reply {
                close()
                // Redis's text (WRONGPASS ..., NOAUTH ...) never repeats the password.
                throw RedisError(.authentication, "AUTH refused by \(endpoint): \(message)")
            }
        }
        if let database = url.database, database != 0 {
            let reply = try send([Array("SELECT".utf8), Array(String(database).utf8)], on: fresh)
            if case .error(let message) = reply {
                close()
                throw RedisError(.connection, "SELECT \(database) refused by \(endpoint): \(message)")
            }
        }
    }

    /// Returns a context that is fit for a command, reconnecting once if needed.
    private func usableContext(connectTimeout: Duration) throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        if let context, context.pointee.err == 0, !closedByServer(context) {
            return context
        }
        try reconnect(connectTimeout: connectTimeout)
        guard let context else { throw RedisError(.connection, "not connected") }
        return context
    }

    /// Outside pub/sub, Redis never sends unrequested data, so an idle socket that is
    /// readable means the server closed it (restart, `timeout` setting, CLIENT KILL).
    private func closedByServer(_ context: UnsafeMutablePointer<redisContext>) -> Bool {
        let fd = context.pointee.fd
        guard fd >= 0 else { return true }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let rc = poll(&pfd, 1, 0)
            if rc >= 0 { return rc > 0 }
            if errno != EINTR { return true }
        }
    }

    // MARK: - Sending

    private func send(_ arguments: [[UInt8]], on context: UnsafeMutablePointer<redisContext>) throws(RedisError) -> RedisReply {
        let raw = withArgv(arguments) { argc, argv, lengths in
            withSIGPIPEBlocked { redisCommandArgv(context, argc, argv, lengths) }
        }
        guard let raw else {
            // hiredis set context.err; the context cannot be used again.
            let reason = errorText(context)
            close()
            if isTimeout(reason) {
                throw RedisError(.timeout, "no answer from \(endpoint) within the command timeout")
            }
            throw RedisError(.connection, "connection to \(endpoint) failed: \(reason)")
        }
        defer { freeReplyObject(raw) }
        return RedisReply(copying: raw.assumingMemoryBound(to: redisReply.self))
    }

    private func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix(while: { $0 != 0 })
            let text = String(decoding: bytes, as: UTF8.self)
            return text.isEmpty ? "unknown error" : text
        }
    }

    /// hiredis stores `strerror(errno)`: EAGAIN from SO_RCVTIMEO/SO_SNDTIMEO for a
    /// command, ETIMEDOUT for a connect.
    private func isTimeout(_ reason: String) -> Bool {
        reason == String(cString: strerror(EAGAIN)) || reason == String(cString: strerror(ETIMEDOUT))
            || reason.contains("timed out")
    }
}

// MARK: - Helpers

/// Calls `body` with `argc`, `argv` and `argvlen` pointing into one buffer holding all
/// arguments, so that every pointer stays valid for the call.
private func withArgv<R>(
    _ arguments: [[UInt8]],
    _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
) -> R {
    var buffer: [UInt8] = []
    var offsets: [Int] = []
    var lengths: [Int] = []
    for argument in arguments {
        offsets.append(buffer.count)
        lengths.append(argument.count)
        buffer.append(contentsOf: argument)
    }
    buffer.append(0) // never an empty buffer, so the base address is never nil
    return buffer.withUnsafeBufferPointer { bytes in
        let base = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
        var pointers: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
        return pointers.withUnsafeMutableBufferPointer { argv in
            lengths.withUnsafeBufferPointer { argvlen in
                body(Int32(arguments.count), argv.baseAddress!, argvlen.baseAddress!)
            }
        }
    }
}

extension timeval {
    /// A `timeval` for `duration`, at least 1 ms (0 would mean "no timeout").
    init(_ duration: Duration) {
        let (seconds, attoseconds) = max(duration, .milliseconds(1)).components
        self.init(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
