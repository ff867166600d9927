extension MilvusClient {
    /// Where Milvus is and how long to wait for it.
    public struct Configuration: Sendable {
        /// Host name or address (IPv6 with or without brackets). Default: "127.0.0.1".
        public var host: String = "127.0.0.1"
        /// Port of the proxy, which serves REST v1 under `/v1/vector`. Default: 19530.
        public var port: Int = 19530
        /// Port of Milvus's management HTTP server (health, metrics and the older
        /// `/api/v1` API), used only to load a collection that is not loaded: REST v1 in
        /// 2.3 can create collections (which loads them) but cannot load an existing one.
        /// nil turns loading off (`ensureCollection` then fails on an unloaded
        /// collection). Default: 9091.
        public var managementPort: Int? = 9091
        /// Token sent as `Authorization: Bearer <token>` when Milvus has authentication
        /// on (`user:password` or an API key). Never logged or put in errors.
        /// Default: nil (no header).
        public var token: String? = nil
        /// Upper bound for the TCP connect. Default: 2 seconds.
        public var connectTimeout: Duration = .seconds(2)
        /// Upper bound for one request, connect included. Default: 10 seconds.
        public var requestTimeout: Duration = .seconds(10)
        /// Rows per insert request. Default: 500.
        public var insertBatchSize: Int = 500
        /// How long an insert or delete waits (polling) until searches see it; Milvus
        /// 2.3's REST v1 reads with bounded staleness, so a write becomes visible a few
        /// hundred milliseconds after it is acknowledged. Default: 10 seconds.
        public var visibilityTimeout: Duration = .seconds(10)
        /// How long `ensureCollection` waits for a collection to finish loading.
        /// Default: 60 seconds.
        public var loadTimeout: Duration = .seconds(60)

        /// Creates a configuration with the defaults documented on each property.
        public init(
            host: String = "127.0.0.1",
            port: Int = 19530,
            managementPort: Int? = 9091,
            token: String? = nil,
            connectTimeout: Duration = .seconds(2),
            requestTimeout: Duration = .seconds(10),
            insertBatchSize: Int = 500,
            visibilityTimeout: Duration = .seconds(10),
            loadTimeout: Duration = .seconds(60)
        ) {
            self.host = host
            self.port = port
            self.managementPort = managementPort
            self.token = token
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.insertBatchSize = insertBatchSize
            self.visibilityTimeout = visibilityTimeout
            self.loadTimeout = loadTimeout
        }
    }
}

extension MilvusClient.Configuration: CustomStringConvertible {
    /// Host and ports, with the token masked.
    public var description: String {
        "Milvus \(host):\(port) (management \(managementPort.map(String.init) ?? "off"), token \(token == nil ? "none" : "***"))"
    }
}
