/// An HTTP request as the transport (FastCGI) handed it over, body already read and bounded.
public struct Request: Sendable {
    /// Upper-case method, e.g. `GET`.
    public var method: String
    /// The raw (still percent-encoded) path, without the query string.
    public var path: String
    /// The raw query string without `?` (empty when absent).
    public var query: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The client address nginx saw (`REMOTE_ADDR`), empty when unknown.
    public var remoteAddress: String
    /// The id that ties this request's log lines and response together (`X-Request-ID`).
    public var requestID: String
    /// Path parameters filled in by the router, e.g. `id` for `/v1/documents/{id}`.
    public var pathParameters: [String: String] = [:]
    /// The route template that matched (`/v1/documents/{id}`), nil before routing or when none did.
    public var route: String?
    /// The caller as an earlier step (a middleware) established it, for the handler to use
    /// instead of checking again; ragd's API keeps the verified token's principal here.
    /// Nil when no step did.
    public var caller: (any Sendable)?

    public init(method: String, path: String, query: String = "", headers: HTTPHeaders = HTTPHeaders(),
                body: [UInt8] = [], remoteAddress: String = "", requestID: String) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.requestID = requestID
    }

    /// Query parameters in order, `+` and percent-escapes decoded; invalid escapes are kept as-is.
    public var queryItems: [(name: String, value: String)] {
        guard !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentDecoding.decode(String(parts[0]), plusAsSpace: true)
            let value = parts.count > 1 ? PercentDecoding.decode(String(parts[1]), plusAsSpace: true) : ""
            return (name: name, value: value)
        }
    }

    /// The first value of query parameter `name`; `""` for a bare `?name`.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Whether the query has parameter `name` at all (e.g. `/status?full`).
    public func hasQueryParameter(_ name: String) -> Bool {
        queryItems.contains { $0.name == name }
    }
}

/// Percent-decoding that never fails: a malformed escape is left in the text.
public enum PercentDecoding {
    public static func decode(_ text: String, plusAsSpace: Bool = false) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else {
            return text
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        let input = Array(text.utf8)
        var i = 0
        while i < input.count {
            let b = input[i]
            if b == UInt8(ascii: "%"), i + 2 < input.count, let hi = hexValue(input[i + 1]), let lo = hexValue(input[i + 2]) {
                bytes.append(hi << 4 | lo)
                i += 3
            } else if plusAsSpace && b == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
                i += 1
            } else {
                bytes.append(b)
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
