/// One HTTP request for `HTTPClient`.
public struct HTTPClientRequest: Sendable {
    /// The method, upper case. Default: "GET".
    public var method: String
    /// The absolute `http://` or `https://` URL.
    public var url: String
    /// Header fields in order; names and values must not contain CR, LF or NUL.
    /// Default: none.
    public var headers: [(name: String, value: String)]
    /// The body, sent with `Content-Length`. Default: nil (no body).
    public var body: [UInt8]?
    /// Overrides `HTTPClient.Options.connectTimeout` for this request. Default: nil.
    public var connectTimeout: Duration?
    /// Overrides `HTTPClient.Options.timeout` (the whole transfer) for this request.
    /// Default: nil.
    public var timeout: Duration?

    /// Creates a request; every parameter but `url` has the default documented above.
    public init(
        method: String = "GET",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil,
        connectTimeout: Duration? = nil,
        timeout: Duration? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }
}
