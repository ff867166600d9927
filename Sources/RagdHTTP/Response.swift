/// What a handler answers: a status, headers and either a whole body or a stream.
public struct Response: Sendable {
    public enum Body: Sendable {
        /// The whole body, sent with a `Content-Length`.
        case bytes([UInt8])
        /// A body produced while the client waits (SSE); each `flush()` reaches nginx at once.
        case stream(@Sendable (ResponseStream) throws -> Void)
    }

    public var status: Int
    public var headers: HTTPHeaders
    public var body: Body
    /// The problem this response renders, when it is one (`Problem.response`): a
    /// middleware that answers errors in another shape reads it rather than parsing the
    /// body back. Default nil.
    public var problem: Problem?

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response; `json` must already be JSON text.
    public static func json(_ json: String, status: Int = 200) -> Response {
        var headers = HTTPHeaders()
        headers.reserveCapacity(Self.usualHeaderCount)
        headers.add("Content-Type", "application/json")
        return Response(status: status, headers: headers, body: .bytes(Array(json.utf8)))
    }

    /// A JSON response from bytes that are already JSON text (UTF-8).
    public static func json(bytes: [UInt8], status: Int = 200) -> Response {
        var headers = HTTPHeaders()
        headers.reserveCapacity(Self.usualHeaderCount)
        headers.add("Content-Type", "application/json")
        return Response(status: status, headers: headers, body: .bytes(bytes))
    }

    /// Room for the fields most responses end with: the content type, `X-Request-ID` (the
    /// responder adds it to every response) and a few more (CORS, rate limits), so they are
    /// added without the list growing (each growth is an allocation and a copy).
    static let usualHeaderCount = 4

    /// A plain-text response.
    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> Response {
        var headers = HTTPHeaders()
        headers.reserveCapacity(Self.usualHeaderCount)
        headers.add("Content-Type", contentType)
        return Response(status: status, headers: headers, body: .bytes(Array(text.utf8)))
    }

    /// A streamed response. `X-Accel-Buffering: no` tells nginx to pass each flush on
    /// instead of collecting the body in its buffers.
    public static func stream(status: Int = 200, contentType: String,
                              _ produce: @escaping @Sendable (ResponseStream) throws -> Void) -> Response {
        var headers = HTTPHeaders()
        headers.add("Content-Type", contentType)
        headers.add("Cache-Control", "no-cache")
        headers.add("X-Accel-Buffering", "no")
        return Response(status: status, headers: headers, body: .stream(produce))
    }
}

/// The transport's side of a streamed body. Writes go out in order; `flush()` pushes what
/// was written to the client now. A write after the client went away throws
/// `ResponseStreamError.clientGone`, so producers stop (and stop paying an LLM) promptly.
public protocol ResponseStream: AnyObject {
    func write(_ bytes: [UInt8]) throws
    func flush() throws
    /// Whether the client is still there, found out without writing: a producer that waits
    /// on something slow (an LLM before its first token) checks it to stop early.
    var isClientConnected: Bool { get }
}

extension ResponseStream {
    public func write(_ text: String) throws { try write(Array(text.utf8)) }
}

/// Raised by a `ResponseStream` when the peer closed the connection.
public struct ResponseStreamError: Error, CustomStringConvertible {
    public var description: String { "client closed the connection" }
    public static let clientGone = ResponseStreamError()
}

/// Reason phrases for the status line nginx expects in the FastCGI `Status:` header.
public enum HTTPStatus {
    public static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 413: return "Content Too Large"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status \(status)"
        }
    }
}
