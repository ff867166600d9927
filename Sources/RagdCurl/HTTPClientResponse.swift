/// Status line and header fields of a response.
public struct HTTPClientResponseHead: Sendable {
    /// The status code, for example 200.
    public var status: Int
    /// Header fields in the order received (of the final response, after any 1xx).
    public var headers: [(name: String, value: String)]

    /// Creates a head.
    public init(status: Int, headers: [(name: String, value: String)]) {
        self.status = status
        self.headers = headers
    }

    /// The first value of the header called `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return headers.first(where: { $0.name.lowercased() == lowered })?.value
    }
}

/// A complete response.
public struct HTTPClientResponse: Sendable {
    /// The status line and header fields.
    public var head: HTTPClientResponseHead
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a response.
    public init(head: HTTPClientResponseHead, body: [UInt8]) {
        self.head = head
        self.body = body
    }

    /// The status code.
    public var status: Int { head.status }
    /// Header fields in the order received.
    public var headers: [(name: String, value: String)] { head.headers }
    /// The first value of the header called `name` (case-insensitive), or nil.
    public func header(_ name: String) -> String? { head.header(name) }
    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
