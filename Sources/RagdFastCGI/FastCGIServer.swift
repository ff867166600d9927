import CFastCGI
import CRagdShim
import RagdCore
import RagdHTTP
#if canImport(Glibc)
import Glibc
#endif

/// Serves requests from the shared listening socket on the calling thread, until told to stop.
///
/// We accept connections ourselves and hand each one to libfcgi for the protocol: libfcgi's
/// own accept blocks in `accept(2)` without a way to stop it (a thread blocked there ignores
/// SIGTERM), while our `accept` times out (SO_RCVTIMEO on the listener) and re-checks
/// `shouldStop`, so a graceful stop never waits on an idle thread.
public final class FastCGIServer: @unchecked Sendable {
    /// Called on the serving thread around each request (the pool's scoreboard uses them).
    public struct Hooks: Sendable {
        public var requestStarted: @Sendable (_ thread: Int, _ request: Request) -> Void
        public var requestFinished: @Sendable (_ thread: Int, _ completed: CompletedRequest) -> Void

        public init(requestStarted: @escaping @Sendable (Int, Request) -> Void = { _, _ in },
                    requestFinished: @escaping @Sendable (Int, CompletedRequest) -> Void = { _, _ in }) {
            self.requestStarted = requestStarted
            self.requestFinished = requestFinished
        }
    }

    private let listenFD: Int32
    private let isTCP: Bool
    private let maxBodyBytes: Int
    private let responder: Responder
    private let hooks: Hooks

    /// Call once per process (after fork) before `serve`.
    public static func initializeLibrary() {
        _ = FCGX_Init()
    }

    /// - `maxBodyBytes`: larger request bodies get 413 without being read (default 50 MiB).
    public init(listener: FastCGIListener, maxBodyBytes: Int = 50 * 1024 * 1024, responder: Responder, hooks: Hooks = Hooks()) {
        self.listenFD = listener.fd
        if case .tcp = listener.address { isTCP = true } else { isTCP = false }
        self.maxBodyBytes = maxBodyBytes
        self.responder = responder
        self.hooks = hooks
    }

    /// The accept-serve loop of one thread. Returns once `shouldStop()` is true and the
    /// request in hand (if any) is finished.
    public func serve(thread: Int, shouldStop: () -> Bool) {
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        defer { request.deallocate() }
        // listen_sock -1: libfcgi must never accept by itself (see the type's comment).
        FCGX_InitRequest(request, -1, 0)
        defer { FCGX_Free(request, 1) }

        while !shouldStop() {
            if request.pointee.ipcFd < 0 {
                let fd = CRagdShim_accept_cloexec(listenFD)
                if fd < 0 {
                    switch errno {
                    case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED, EPROTO:
                        continue
                    case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                        usleep(10_000) // out of descriptors: back off instead of spinning
                        continue
                    default:
                        usleep(10_000)
                        continue
                    }
                }
                if isTCP {
                    var one: Int32 = 1
                    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                }
                request.pointee.ipcFd = fd
                // FCGX_Accept_r first "finishes" the previous request and would close a
                // connection it believes is not kept; mark ours kept so it reads from it.
                request.pointee.keepConnection = 1
            }
            guard FCGX_Accept_r(request) >= 0 else { continue }
            handle(request, thread: thread)
            FCGX_Finish_r(request)
        }
    }

    // MARK: one request

    private func handle(_ fcgi: UnsafeMutablePointer<FCGX_Request>, thread: Int) {
        let started = Clock.monotonicNanoseconds()
        var (request, declaredLength) = Self.makeRequest(fcgi.pointee.envp)
        hooks.requestStarted(thread, request)

        var response: Response
        guard let declaredLength else {
            // Only a FastCGI client other than nginx sends one (nginx answers 400 itself);
            // a negative length must not reach readBody, which sizes a buffer with it.
            response = responder.refuse(request, with: .badRequest("CONTENT_LENGTH is not a byte count."))
            finish(request, response, fcgi: fcgi, thread: thread, started: started)
            return
        }
        if declaredLength > maxBodyBytes {
            response = responder.refuse(request, with: .payloadTooLarge(limit: maxBodyBytes))
        } else {
            switch readBody(fcgi.pointee.in, expected: declaredLength) {
            case .success(let body):
                request.body = body
                response = responder.respond(to: &request)
            case .failure(let problem):
                response = responder.refuse(request, with: problem)
            }
        }
        finish(request, response, fcgi: fcgi, thread: thread, started: started)
    }

    private func finish(_ request: Request, _ response: Response, fcgi: UnsafeMutablePointer<FCGX_Request>,
                        thread: Int, started: UInt64) {
        let stream = OutputStream(fcgi.pointee.out, connection: fcgi.pointee.ipcFd)
        let sent = write(response, to: stream, headOnly: request.method == "HEAD")
        let completed = CompletedRequest(
            requestID: request.requestID, method: request.method, route: request.route,
            status: response.status,
            durationSeconds: Double(Clock.monotonicNanoseconds() - started) / 1e9,
            bytesSent: stream.bytesWritten, completed: sent)
        responder.finished(completed)
        hooks.requestFinished(thread, completed)
    }

    private func readBody(_ input: UnsafeMutablePointer<FCGX_Stream>?, expected: Int) -> Result<[UInt8], Problem> {
        guard let input else { return .success([]) }
        // nginx always sends CONTENT_LENGTH for a body (it buffers chunked uploads), so read
        // what it announced, plus one byte to catch a body longer than announced.
        if expected == 0 {
            // Most requests (GET) announce none: the one byte is read onto the stack, and an
            // Array made only if it came (then as the general path below treats it).
            var byte: CChar = 0
            guard FCGX_GetStr(&byte, 1, input) == 1 else { return .success([]) }
            if 1 > maxBodyBytes { return .failure(.payloadTooLarge(limit: maxBodyBytes)) }
            return .success([UInt8(bitPattern: byte)])
        }
        let limit = min(expected, maxBodyBytes) + 1
        var body = [UInt8](repeating: 0, count: limit)
        var total = 0
        while total < limit {
            let n = body.withUnsafeMutableBytes { raw in
                FCGX_GetStr(raw.baseAddress!.advanced(by: total).assumingMemoryBound(to: CChar.self), Int32(limit - total), input)
            }
            if n <= 0 { break }
            total += Int(n)
        }
        if total > maxBodyBytes { return .failure(.payloadTooLarge(limit: maxBodyBytes)) }
        if total < expected { return .failure(.badRequest("The request body ended after \(total) of \(expected) bytes.")) }
        body.removeLast(limit - total)
        return .success(body)
    }

    /// Sends the response; false when the client went away first.
    private func write(_ response: Response, to stream: OutputStream, headOnly: Bool) -> Bool {
        switch response.body {
        case .bytes(let body):
            let head = Self.head(response, contentLength: body.count, body: headOnly ? nil : body)
            return (try? stream.write(head)) != nil
        case .stream(let produce):
            let head = Self.head(response, contentLength: nil, body: nil)
            do {
                try stream.write(head)
                try stream.flush()
                if !headOnly { try produce(stream) }
                try stream.flush()
                return true
            } catch {
                return false
            }
        }
    }

    /// The head as bytes in one buffer (CGI response headers, `Content-Length` when given,
    /// then a blank line), followed by `body` when given: sized first, then written in
    /// place, so a response costs one allocation and no per-piece appends.
    static func head(_ response: Response, contentLength: Int?, body: [UInt8]?) -> [UInt8] {
        let reason = HTTPStatus.reason(response.status)
        var size = 8 + ByteWriter.decimalCount(response.status) + 1 + reason.utf8.count + 2
        for field in response.headers { size += field.name.utf8.count + 2 + field.value.utf8.count + 2 }
        if let contentLength { size += 16 + ByteWriter.decimalCount(contentLength) + 2 }
        size += 2 + (body?.count ?? 0)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var out = ByteWriter(buffer)
            out.put("Status: "); out.put(response.status); out.put(" "); out.put(reason); out.put("\r\n")
            for field in response.headers {
                out.put(field.name); out.put(": "); out.put(field.value); out.put("\r\n")
            }
            if let contentLength { out.put("Content-Length: "); out.put(contentLength); out.put("\r\n") }
            out.put("\r\n")
            if let body { body.withUnsafeBufferPointer { out.put($0) } }
            count = out.count
        }
    }

    // MARK: FastCGI params -> Request

    /// Builds a `Request` from FastCGI params as nginx sends them (`fastcgi_params`), and
    /// the body length `CONTENT_LENGTH` announces (0 when absent or not a number).
    ///
    /// Straight from libfcgi's `NAME=value` strings: only the params the request keeps
    /// become Strings (nginx sends about 20, the request keeps 8), with no dictionary in
    /// between; when a name comes twice the last one counts, as it did with the dictionary.
    /// Header fields are in the order nginx sent them.
    static func makeRequest(_ envp: FCGX_ParamArray?) -> (request: Request, contentLength: Int?) {
        var method: String?, documentURI: String?, queryString: String?
        var requestURI: UnsafeRawBufferPointer?
        var remoteAddress: String?, contentLength: String?, requestID: String?
        var count = 0
        if let envp { while envp[count] != nil { count += 1 } }
        // The params that become header fields, kept as bytes until duplicates are known.
        let headers = withUnsafeTemporaryAllocation(of: HeaderParam.self, capacity: max(count, 1)) { found in
            var found = found.baseAddress!, kept = 0
            for index in 0..<count {
                let entry = UnsafeRawPointer(envp![index]!).assumingMemoryBound(to: UInt8.self)
                // Split at the first "=" byte ("=" is ASCII, never part of a multi-byte
                // sequence; strchr scans a word at a time).
                guard let separator = strchr(envp![index]!, Int32(UInt8(ascii: "="))) else { continue }
                let equals = UnsafeRawPointer(separator) - UnsafeRawPointer(entry)
                let name = UnsafeRawBufferPointer(start: entry, count: equals)
                // The value's length only for params the request keeps (most are not).
                func value() -> UnsafeRawBufferPointer {
                    UnsafeRawBufferPointer(start: entry + equals + 1, count: strlen(entry + equals + 1))
                }
                var kind = Self.kind(of: name)
                // Only a name that starts with the bytes `HTTP_` can be kept when it is not
                // ASCII (the other kept names are ASCII literals, and no other text equals
                // them or starts with `HTTP_` under the String rules): check those.
                if kind == .header && name.contains(where: { $0 >= 0x80 }) {
                    // Not ASCII (nginx never sends such names): the String rules, as before.
                    if String(decoding: name, as: UTF8.self).hasPrefix("HTTP_") {
                        (found + kept).initialize(to: HeaderParam(name: name, value: value(), isHTTP: true, isASCII: false))
                        kept += 1
                    }
                    kind = .other
                }
                switch kind {
                case .requestURI: requestURI = value()
                case .documentURI: documentURI = Self.text(value())
                case .queryString: queryString = Self.text(value())
                case .requestMethod: method = Self.upperCased(value())
                case .remoteAddress: remoteAddress = Self.text(value())
                case .contentType, .contentLength:
                    let value = value()
                    if name.count == 14 { contentLength = Self.text(value) }
                    (found + kept).initialize(to: HeaderParam(name: name, value: value, isHTTP: false, isASCII: true))
                    kept += 1
                case .header:
                    (found + kept).initialize(to: HeaderParam(name: name, value: value(), isHTTP: true, isASCII: true))
                    kept += 1
                case .other:
                    continue
                }
            }
            return Self.headers(UnsafeBufferPointer(start: found, count: kept), requestID: &requestID)
        }
        // REQUEST_URI is the raw target (still percent-encoded); DOCUMENT_URI is nginx's
        // decoded form, used only when REQUEST_URI is missing.
        let path: String
        var query = queryString ?? ""
        if let requestURI {
            // Split at the first "?" byte before making Strings: "?" is ASCII, so each part
            // decodes (and repairs invalid UTF-8) as the same part of the decoded whole.
            if let mark = requestURI.firstIndex(of: UInt8(ascii: "?")) {
                path = Self.text(UnsafeRawBufferPointer(rebasing: requestURI[..<mark]))
                if query.isEmpty { query = Self.text(UnsafeRawBufferPointer(rebasing: requestURI[(mark + 1)...])) }
            } else {
                path = Self.text(requestURI)
            }
        } else {
            let target = documentURI ?? "/"
            if let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
                path = String(target[..<mark])
                if query.isEmpty { query = String(target[target.index(after: mark)...]) }
            } else {
                path = target
            }
        }
        let request = Request(
            method: method ?? "GET",
            path: path.isEmpty ? "/" : path,
            query: query,
            headers: headers,
            remoteAddress: remoteAddress ?? "",
            requestID: requestID ?? RequestID.generate())
        // Absent or empty (nginx sends `$content_length` empty for a GET) is no body; otherwise
        // it must be a non-negative decimal (nil: refused).
        guard let contentLength, !contentLength.isEmpty else { return (request, 0) }
        guard let length = Int(contentLength), length >= 0 else { return (request, nil) }
        return (request, length)
    }

    /// What an ASCII param name is to the request.
    private enum ParamKind {
        case requestURI, documentURI, queryString, requestMethod, remoteAddress, contentType, contentLength
        /// `HTTP_*`.
        case header
        /// A param the request does not keep.
        case other
    }

    /// The kind of an ASCII param `name`: by length and first byte first, so most names
    /// nobody keeps (`SERVER_*`, `SCRIPT_NAME`, `GATEWAY_INTERFACE`, ...) are passed
    /// over without a comparison.
    @inline(__always)
    private static func kind(of name: UnsafeRawBufferPointer) -> ParamKind {
        guard let first = name.first else { return .other }
        switch (name.count, first) {
        case (11, UInt8(ascii: "R")):
            return equal(name, "REQUEST_URI") ? .requestURI : equal(name, "REMOTE_ADDR") ? .remoteAddress : .other
        case (12, UInt8(ascii: "D")): return equal(name, "DOCUMENT_URI") ? .documentURI : .other
        case (12, UInt8(ascii: "Q")): return equal(name, "QUERY_STRING") ? .queryString : .other
        case (14, UInt8(ascii: "R")): return equal(name, "REQUEST_METHOD") ? .requestMethod : .other
        case (12, UInt8(ascii: "C")): return equal(name, "CONTENT_TYPE") ? .contentType : .other
        case (14, UInt8(ascii: "C")): return equal(name, "CONTENT_LENGTH") ? .contentLength : .other
        case (5..., UInt8(ascii: "H")):
            return equal(UnsafeRawBufferPointer(rebasing: name[..<5]), "HTTP_") ? .header : .other
        default: return .other
        }
    }

    /// A param that becomes a header field: `HTTP_*`, and `CONTENT_TYPE`/`CONTENT_LENGTH`
    /// when not empty. Points into libfcgi's param strings.
    private struct HeaderParam {
        var name: UnsafeRawBufferPointer
        var value: UnsafeRawBufferPointer
        var isHTTP: Bool
        /// Whether `name` is ASCII (then it is compared and converted byte-wise).
        var isASCII: Bool
    }

    /// The header fields of `params`, in order, each name once (its last value);
    /// `requestID` gets `HTTP_X_REQUEST_ID`'s value when `RequestID.sanitize` accepts it.
    private static func headers(_ params: UnsafeBufferPointer<HeaderParam>, requestID: inout String?) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.reserveCapacity(params.count)
        for (index, param) in params.enumerated() {
            // A later param of the same name replaces this one (the dictionary's rule).
            if params[(index + 1)...].contains(where: { sameName($0, param) }) { continue }
            if !param.isHTTP && param.value.isEmpty { continue }
            let value = text(param.value)
            if param.isHTTP && param.isASCII && equal(param.name, "HTTP_X_REQUEST_ID") {
                // Checked on the bytes: what it accepts is ASCII, so the String is the same.
                if RequestID.isAcceptable(param.value.assumingMemoryBound(to: UInt8.self)) { requestID = value }
            }
            headers.add(param.isASCII ? headerName(param.name, dropHTTP: param.isHTTP) : nonASCIIHeaderName(param.name, dropHTTP: param.isHTTP),
                        value)
        }
        return headers
    }

    /// Whether `bytes` are exactly the ASCII `literal` (memcmp: a generic comparison with a
    /// String's UTF-8 view cost more than the rest of the params).
    @inline(__always)
    private static func equal(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        bytes.count == literal.utf8CodeUnitCount && memcmp(bytes.baseAddress!, literal.utf8Start, bytes.count) == 0
    }

    /// Param names compared as the dictionary keyed by String did: byte-wise when both are
    /// ASCII (String equality is then byte equality), by the String rules otherwise.
    private static func sameName(_ a: HeaderParam, _ b: HeaderParam) -> Bool {
        if a.isASCII && b.isASCII {
            return a.name.count == b.name.count && (a.name.isEmpty || memcmp(a.name.baseAddress!, b.name.baseAddress!, a.name.count) == 0)
        }
        return String(decoding: a.name, as: UTF8.self) == String(decoding: b.name, as: UTF8.self)
    }

    /// The bytes as a String; invalid UTF-8 is repaired as `String(cString:)` would.
    @inline(__always)
    private static func text(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// `get` -> `GET`: ASCII mapped byte-wise, anything else through `uppercased()`.
    private static func upperCased(_ bytes: UnsafeRawBufferPointer) -> String {
        guard !bytes.contains(where: { $0 >= 0x80 }) else { return text(bytes).uppercased() }
        return String(unsafeUninitializedCapacity: bytes.count) { out in
            for (index, byte) in bytes.enumerated() {
                out[index] = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 32 : byte
            }
            return bytes.count
        }
    }
}

/// `HTTP_X_REQUEST_ID` -> `x-request-id`: the header name nginx turned into a param name
/// (`dropHTTP` false: `CONTENT_TYPE` -> `content-type`), for an ASCII `param`.
private func headerName(_ param: UnsafeRawBufferPointer, dropHTTP: Bool) -> String {
    let name = UnsafeRawBufferPointer(rebasing: param[(dropHTTP ? 5 : 0)...])
    if let known = knownHeaderName(name) { return known }
    return String(unsafeUninitializedCapacity: name.count) { out in
        for (index, byte) in name.enumerated() {
            switch byte {
            case UInt8(ascii: "_"): out[index] = UInt8(ascii: "-")
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): out[index] = byte + 32
            default: out[index] = byte
            }
        }
        return name.count
    }
}

/// The header names most requests carry, ready-made: the same Strings the byte mapping of
/// `headerName` makes, without making them per request.
private func knownHeaderName(_ name: UnsafeRawBufferPointer) -> String? {
    func equal(_ literal: StaticString) -> Bool {
        name.count == literal.utf8CodeUnitCount && memcmp(name.baseAddress!, literal.utf8Start, name.count) == 0
    }
    switch name.count {
    case 4 where equal("HOST"): return "host"
    case 6 where equal("ACCEPT"): return "accept"
    case 6 where equal("ORIGIN"): return "origin"
    case 10 where equal("USER_AGENT"): return "user-agent"
    case 10 where equal("CONNECTION"): return "connection"
    case 9 where equal("X_REAL_IP"): return "x-real-ip"
    case 12 where equal("X_REQUEST_ID"): return "x-request-id"
    case 12 where equal("CONTENT_TYPE"): return "content-type"
    case 13 where equal("AUTHORIZATION"): return "authorization"
    case 13 where equal("LAST_EVENT_ID"): return "last-event-id"
    case 14 where equal("CONTENT_LENGTH"): return "content-length"
    case 15 where equal("ACCEPT_ENCODING"): return "accept-encoding"
    case 15 where equal("ACCEPT_LANGUAGE"): return "accept-language"
    case 15 where equal("X_FORWARDED_FOR"): return "x-forwarded-for"
    default: return nil
    }
}

/// `headerName` for a name that is not ASCII (nginx drops such header names by default):
/// the String rules, as before.
private func nonASCIIHeaderName(_ param: UnsafeRawBufferPointer, dropHTTP: Bool) -> String {
    let text = String(decoding: param, as: UTF8.self)
    return String(dropHTTP ? String(text.dropFirst(5)) : text).replacingUnderscores().lowercased()
}

private extension String {
    func replacingUnderscores() -> String {
        String(unicodeScalars.map { $0 == "_" ? "-" : Character($0) })
    }
}

/// Writes bytes into memory sized beforehand (`FastCGIServer.head`).
struct ByteWriter {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        precondition(bytes.count <= buffer.count - count, "response head larger than sized")
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        (buffer.baseAddress! + count).initialize(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func put(_ text: StaticString) {
        text.withUTF8Buffer { put($0) }
    }

    mutating func put(_ text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ put($0) }) == nil {
            let copy = Array(text.utf8)
            copy.withUnsafeBufferPointer { put($0) }
        }
    }

    /// The decimal digits of `value`, as `String(value)` writes them.
    mutating func put(_ value: Int) {
        let digits = Self.decimalCount(value)
        precondition(digits <= buffer.count - count, "response head larger than sized")
        if value < 0 { buffer[count] = UInt8(ascii: "-") }
        var magnitude = value.magnitude, index = count + digits - 1
        repeat {
            buffer[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
            index -= 1
        } while magnitude > 0
        count += digits
    }

    /// How many bytes `String(value)` has.
    static func decimalCount(_ value: Int) -> Int {
        var magnitude = value.magnitude, digits = 1
        while magnitude >= 10 { magnitude /= 10; digits += 1 }
        return value < 0 ? digits + 1 : digits
    }
}

/// A libfcgi output stream as a `ResponseStream`.
final class OutputStream: ResponseStream {
    private let stream: UnsafeMutablePointer<FCGX_Stream>?
    private let connection: Int32
    private(set) var bytesWritten = 0

    /// Linux's POLLRDHUP (peer shut down its writing side), which Glibc only declares
    /// under _GNU_SOURCE.
    private static let pollReadHangUp: Int16 = 0x2000

    init(_ stream: UnsafeMutablePointer<FCGX_Stream>?, connection: Int32) {
        self.stream = stream
        self.connection = connection
    }

    /// nginx closes the FastCGI connection (or, with kept connections, sends
    /// FCGI_ABORT_REQUEST) when its client goes away; the request body has been read in
    /// full by now, so anything readable on the connection means the request is over.
    var isClientConnected: Bool {
        guard stream != nil, connection >= 0 else { return false }
        var poller = pollfd(fd: connection, events: Int16(POLLIN) | Self.pollReadHangUp, revents: 0)
        guard poll(&poller, 1, 0) >= 0 else { return true }
        if poller.revents & (Int16(POLLHUP) | Self.pollReadHangUp | Int16(POLLERR)) != 0 { return false }
        guard poller.revents & Int16(POLLIN) != 0 else { return true }
        var header = [UInt8](repeating: 0, count: 2)
        let peeked = recv(connection, &header, 2, Int32(MSG_PEEK | MSG_DONTWAIT))
        if peeked == 0 { return false }
        // Byte 1 of a FastCGI record is its type; 2 is FCGI_ABORT_REQUEST.
        return !(peeked == 2 && header[1] == 2)
    }

    func write(_ bytes: [UInt8]) throws {
        guard let stream else { throw ResponseStreamError.clientGone }
        if bytes.isEmpty { return }
        let n = bytes.withUnsafeBytes { raw in
            FCGX_PutStr(raw.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(raw.count), stream)
        }
        guard n == Int32(bytes.count) else { throw ResponseStreamError.clientGone }
        bytesWritten += bytes.count
    }

    func flush() throws {
        guard let stream, FCGX_FFlush(stream) == 0 else { throw ResponseStreamError.clientGone }
    }
}
