import CCurl
import CRagdShim

/// A blocking HTTP/1.1 (and HTTP/2 over TLS when libcurl negotiates it) client over one
/// libcurl easy handle. Owns the handle and cleans it up in `deinit`.
///
/// Not thread-safe: a worker keeps one per thread, created after `fork()`. Reusing the
/// same handle keeps connections alive between requests to the same host.
/// `CURLOPT_NOSIGNAL` is always set: libcurl must not use signals (SIGALRM for DNS
/// timeouts) in a multi-threaded process. Only `http` and `https` are allowed, redirects
/// are not followed, and TLS certificates are always verified.
public final class HTTPClient {
    /// The settings this client was created with.
    public let options: Options

    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let skipTLSVerification: Bool

    /// Creates a client with its own easy handle, initialising libcurl for the process if
    /// needed (see `CurlGlobal`).
    ///
    /// - Parameter insecureSkipTLSVerificationForTesting: turns off certificate and host
    ///   name checks. For tests against self-signed servers, and for `ragd ingest
    ///   --insecure` (a user's explicit choice per run, like `curl -k`); never set it from
    ///   server configuration. Default: false.
    public init(options: Options = Options(), insecureSkipTLSVerificationForTesting: Bool = false) throws(HTTPClientError) {
        try CurlGlobal.initialize()
        guard let handle = curl_easy_init() else {
            throw HTTPClientError(.other, "curl_easy_init failed")
        }
        self.handle = handle
        self.options = options
        self.skipTLSVerification = insecureSkipTLSVerificationForTesting
        // CURL_ERROR_SIZE is 256; the buffer must outlive every transfer.
        errorBuffer = .allocate(capacity: 256)
        errorBuffer.initialize(repeating: 0, count: 256)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends `request` and buffers the whole response (up to `Options.maxResponseBytes`).
    /// Any status is a response, not an error; errors are transport failures.
    public func send(_ request: HTTPClientRequest) throws(HTTPClientError) -> HTTPClientResponse {
        let transfer = Transfer(limit: options.maxResponseBytes)
        try perform(request, transfer)
        return HTTPClientResponse(head: transfer.head, body: transfer.body)
    }

    /// Sends `request` and hands the body to `onChunk` as it arrives, for server-sent
    /// events and other long responses. Nothing is buffered.
    ///
    /// - Parameters:
    ///   - onResponse: called once with the status and headers before the first chunk
    ///     (or at the end for an empty body); return false to stop (for example on a
    ///     non-2xx status when the caller wants the error body some other way).
    ///     Default: accept every response.
    ///   - shouldContinue: polled while waiting for data (libcurl's progress callback,
    ///     at least about once a second); return false to stop, for example when the
    ///     downstream client has gone. Default: nil (not polled).
    ///   - onChunk: called per received piece of body, whose bytes are valid only during
    ///     the call; return false to stop.
    /// - Returns: the status and headers.
    /// - Throws: `.aborted` when a callback stopped the transfer, or a transport error.
    @discardableResult
    public func stream(
        _ request: HTTPClientRequest,
        onResponse: (HTTPClientResponseHead) -> Bool = { _ in true },
        shouldContinue: (() -> Bool)? = nil,
        onChunk: (UnsafeRawBufferPointer) -> Bool
    ) throws(HTTPClientError) -> HTTPClientResponseHead {
        // The closures are stored in the Transfer only for the duration of this call.
        let outcome: Result<HTTPClientResponseHead, HTTPClientError> =
            withoutActuallyEscaping(onResponse) { onResponse in
                withoutActuallyEscaping(onChunk) { onChunk in
                    let transfer = Transfer(limit: .max, onResponse: onResponse, onChunk: onChunk,
                                            shouldContinue: shouldContinue)
                    do throws(HTTPClientError) {
                        try perform(request, transfer)
                        return .success(transfer.head)
                    } catch {
                        return .failure(error)
                    }
                }
            }
        return try outcome.get()
    }

    // MARK: - Transfer

    private func perform(_ request: HTTPClientRequest, _ transfer: Transfer) throws(HTTPClientError) {
        let safeURL = Self.redactedURL(request.url)
        let method = request.method
        guard !method.isEmpty, method.utf8.allSatisfy({ (65...90).contains($0) || $0 == UInt8(ascii: "-") }) else {
            throw HTTPClientError(.invalidRequest, "invalid method for \(safeURL)")
        }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers {
            guard Self.isValidHeader(name: name, value: value) else {
                // Name the header, never its value (it may be a credential).
                throw HTTPClientError(.invalidRequest, "invalid header field \(Self.printableName(name)) for \(method) \(safeURL)")
            }
            guard let appended = curl_slist_append(headerList, "\(name): \(value)") else {
                throw HTTPClientError(.other, "out of memory building headers")
            }
            headerList = appended
        }
        // An empty "Expect:" stops libcurl from waiting for 100-continue on large bodies.
        if !request.headers.contains(where: { $0.name.lowercased() == "expect" }) {
            guard let appended = curl_slist_append(headerList, "Expect:") else {
                throw HTTPClientError(.other, "out of memory building headers")
            }
            headerList = appended
        }

        // Reset keeps the connection cache, so keep-alive survives between requests.
        curl_easy_reset(handle)
        errorBuffer[0] = 0
        let userData = Unmanaged.passUnretained(transfer).toOpaque()
        var failed = false
        func set(_ option: CURLoption, _ value: Int) {
            if CRagdShim_curl_setopt_long(handle, Int32(option.rawValue), value) != 0 { failed = true }
        }
        func set(_ option: CURLoption, _ value: UnsafeRawPointer?) {
            if CRagdShim_curl_setopt_pointer(handle, Int32(option.rawValue), value) != 0 { failed = true }
        }
        func set(_ option: CURLoption, _ value: String) {
            // libcurl copies string options (since 7.17), so a temporary C string is fine.
            value.withCString { set(option, UnsafeRawPointer($0)) }
        }

        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_URL, request.url)
        set(CURLOPT_PROTOCOLS_STR, "http,https")
        set(CURLOPT_FOLLOWLOCATION, 0)
        set(CURLOPT_ERRORBUFFER, UnsafeRawPointer(errorBuffer))
        set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout ?? options.connectTimeout))
        set(CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout ?? options.timeout))
        set(CURLOPT_TCP_KEEPALIVE, 1)
        set(CURLOPT_USERAGENT, options.userAgent)
        set(CURLOPT_HTTPHEADER, UnsafeRawPointer(headerList))
        if let caFile = options.caFile { set(CURLOPT_CAINFO, caFile) }
        if skipTLSVerification {
            set(CURLOPT_SSL_VERIFYPEER, 0)
            set(CURLOPT_SSL_VERIFYHOST, 0)
        }
        if CRagdShim_curl_setopt_write_function(handle, curlWriteCallback) != 0 { failed = true }
        set(CURLOPT_WRITEDATA, UnsafeRawPointer(userData))
        if CRagdShim_curl_setopt_header_function(handle, curlHeaderCallback) != 0 { failed = true }
        set(CURLOPT_HEADERDATA, UnsafeRawPointer(userData))
        if transfer.shouldContinue != nil {
            if CRagdShim_curl_setopt_xferinfo_function(handle, curlProgressCallback) != 0 { failed = true }
            set(CURLOPT_XFERINFODATA, UnsafeRawPointer(userData))
            set(CURLOPT_NOPROGRESS, 0)
        }

        // The body is passed by pointer (no copy) and must stay valid during perform; an
        // empty body still needs a valid pointer, or libcurl would read stdin.
        let body = request.body ?? []
        let storage: [UInt8] = body.isEmpty ? [0] : body
        let code: CURLcode = storage.withUnsafeBytes { bytes in
            switch (method, request.body) {
            case ("GET", nil):
                set(CURLOPT_HTTPGET, 1)
            case ("HEAD", nil):
                set(CURLOPT_NOBODY, 1)
            case (_, nil) where method != "POST":
                set(CURLOPT_CUSTOMREQUEST, method)
            default:
                set(CURLOPT_POST, 1)
                set(CURLOPT_POSTFIELDSIZE, body.count)
                set(CURLOPT_POSTFIELDS, bytes.baseAddress)
                if method != "POST" { set(CURLOPT_CUSTOMREQUEST, method) }
            }
            if failed { return CURLE_FAILED_INIT }
            return curl_easy_perform(handle)
        }
        if failed {
            throw HTTPClientError(.invalidRequest, "libcurl rejected an option for \(method) \(safeURL)")
        }
        if code == CURLE_OK {
            if !transfer.deliverHeadIfNeeded() {
                throw HTTPClientError(.aborted, "\(method) \(safeURL): stopped by the caller")
            }
            return
        }
        throw error(for: code, transfer: transfer, method: method, safeURL: safeURL, rawURL: request.url)
    }

    private func error(for code: CURLcode, transfer: Transfer, method: String, safeURL: String, rawURL: String) -> HTTPClientError {
        let curlCode = Int(code.rawValue)
        if transfer.aborted {
            return HTTPClientError(.aborted, "\(method) \(safeURL): stopped by the caller", curlCode: curlCode)
        }
        if transfer.exceeded {
            return HTTPClientError(.responseTooLarge,
                                   "\(method) \(safeURL): response body larger than \(options.maxResponseBytes) bytes",
                                   curlCode: curlCode)
        }
        var detail = String(cString: errorBuffer)
        if detail.isEmpty { detail = String(cString: curl_easy_strerror(code)) }
        detail = Self.redactUserInfo(in: detail, of: rawURL)
        let message = "\(method) \(safeURL): \(detail)"
        let kind: HTTPClientError.Code
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            kind = .timeout
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            kind = .connect
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
             CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED,
             CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            kind = .tls
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_BAD_FUNCTION_ARGUMENT:
            kind = .invalidRequest
        default:
            kind = .other
        }
        return HTTPClientError(kind, message, curlCode: curlCode)
    }

    // MARK: - Helpers

    /// Milliseconds for libcurl, at least 1 (0 would mean "no timeout").
    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(max(1, ms))
    }

    /// Header names are tokens; values must not smuggle a line break (header injection).
    private static func isValidHeader(name: String, value: String) -> Bool {
        guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") }) else {
            return false
        }
        return !value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 })
    }

    private static func printableName(_ name: String) -> String {
        String(name.unicodeScalars.map { $0.isASCII && $0.value > 32 && $0.value < 127 ? Character($0) : "?" }.prefix(64))
    }

    /// `scheme://host[:port]/path` without user info, query or fragment, which may carry
    /// credentials or API keys.
    public static func redactedURL(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return "<invalid URL>" }
        let scheme = url[..<schemeEnd.lowerBound]
        var rest = url[schemeEnd.upperBound...]
        if let cut = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<cut] }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        return "\(scheme)://\(authority)\(rest[authorityEnd...])"
    }

    /// Removes the URL's user info and query from libcurl's message, should it quote them.
    private static func redactUserInfo(in text: String, of url: String) -> String {
        var result = text
        guard let schemeEnd = url.firstRange(of: "://") else { return result }
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@"), at > authority.startIndex {
            result = result.replacing(String(authority[..<at]), with: "***")
        }
        if let query = url.firstIndex(of: "?") {
            let queryText = url[url.index(after: query)...]
            if !queryText.isEmpty { result = result.replacing(String(queryText), with: "***") }
        }
        return result
    }
}

// MARK: - C callbacks (no captures: context arrives through the user-data pointer)

private let curlWriteCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    pointer, size, count, userData in
    guard let userData else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(userData).takeUnretainedValue()
    let length = size * count
    // Returning anything but `length` makes libcurl stop with CURLE_WRITE_ERROR.
    return transfer.receiveBody(UnsafeRawBufferPointer(start: pointer, count: length)) ? length : 0
}

private let curlHeaderCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    pointer, size, count, userData in
    guard let userData else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(userData).takeUnretainedValue()
    let length = size * count
    transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: pointer, count: length))
    return length
}

private let curlProgressCallback: @convention(c) (UnsafeMutableRawPointer?, Int64, Int64, Int64, Int64) -> Int32 = {
    userData, _, _, _, _ in
    guard let userData else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(userData).takeUnretainedValue()
    // Non-zero makes libcurl stop with CURLE_ABORTED_BY_CALLBACK.
    return transfer.keepGoing() ? 0 : 1
}
