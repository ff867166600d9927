import Foundation
import RagdCore
import RagdCurl
#if canImport(Glibc)
import Glibc
#endif

/// A blocking client for Milvus 2.3's REST API v1 (`/v1/vector/...` on the proxy port),
/// over one libcurl handle.
///
/// Not thread-safe: a worker keeps one per thread, created after `fork()`. Creating it
/// sends nothing, so a worker can boot while Milvus is down.
///
/// What Milvus 2.3.5's REST v1 can and cannot do shapes this client (see `MilvusSchema`):
/// collections are created with the quick-setup call (auto INT64 key, dynamic fields,
/// COSINE index), scalars live in dynamic keys, every search and query is filtered by
/// tenant through `MilvusFilter`, and reads use bounded staleness, so `insert` and the
/// deletes poll until their effect is visible before returning.
public final class MilvusClient {
    /// The settings this client was created with.
    public let configuration: Configuration

    let http: HTTPClient
    let baseURL: String
    let managementURL: String?
    /// Dimensions of collections seen by this client, so inserts and searches can be
    /// checked without a describe call each time.
    var dimensions: [String: Int] = [:]
    private let decoder = JSONDecoder()

    /// Creates a client; nothing is sent until the first call.
    ///
    /// - Throws: `.invalidInput` when the host or a port cannot form a URL, or
    ///   `.unavailable` when libcurl cannot be initialised.
    public init(configuration: Configuration = Configuration()) throws(MilvusError) {
        let host = configuration.host
        guard !host.isEmpty, host.utf8.allSatisfy({ byte in
            MilvusSchema.isLetter(byte) || MilvusSchema.isDigit(byte) || [UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: ":"),
                                                                      UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "_"),
                                                                      UInt8(ascii: "%")].contains(byte)
        }) else {
            throw MilvusError(.invalidInput, "Milvus host must be a host name or an IP address")
        }
        guard (1...65535).contains(configuration.port), (configuration.managementPort.map { (1...65535).contains($0) } ?? true) else {
            throw MilvusError(.invalidInput, "Milvus ports must be in 1...65535")
        }
        guard configuration.insertBatchSize > 0 else {
            throw MilvusError(.invalidInput, "insertBatchSize must be positive")
        }
        let hostForURL = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        self.configuration = configuration
        baseURL = "http://\(hostForURL):\(configuration.port)"
        managementURL = configuration.managementPort.map { "http://\(hostForURL):\($0)" }
        do {
            http = try HTTPClient(options: .init(connectTimeout: configuration.connectTimeout,
                                                 timeout: configuration.requestTimeout,
                                                 userAgent: "ragd-milvus"))
        } catch {
            throw MilvusError(.unavailable, "cannot start the HTTP client for Milvus: \(error.message)")
        }
    }

    /// `host:port` of the REST endpoint, for messages and logs.
    public var endpoint: String { String(baseURL.dropFirst("http://".count)) }

    /// A cheap round trip (lists collections), for readiness checks.
    public func health() throws(MilvusError) {
        let _: [String]? = try call("GET", "/v1/vector/collections", body: nil, operation: "health check")
    }

    // MARK: - Transport

    /// Sends one REST v1 request and returns the `data` of a successful answer.
    ///
    /// Milvus reports failures as HTTP 200 with a non-200 `code`, so the body's code
    /// decides; HTTP errors only come from something in front of Milvus or a wrong path.
    func call<Payload: Decodable>(
        _ method: String,
        _ path: String,
        body: String?,
        operation: String,
        baseURL overrideBase: String? = nil
    ) throws(MilvusError) -> Payload? {
        let envelope: MilvusEnvelope<Payload> = try exchange(method, path, body: body, operation: operation, baseURL: overrideBase)
        guard envelope.code == 200 else {
            throw Self.rejection(code: envelope.code, message: envelope.message, operation: operation)
        }
        return envelope.data
    }

    func exchange<Answer: Decodable>(
        _ method: String,
        _ path: String,
        body: String?,
        operation: String,
        baseURL overrideBase: String? = nil
    ) throws(MilvusError) -> Answer {
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        if let token = configuration.token { headers.append(("Authorization", "Bearer \(token)")) }
        let request = HTTPClientRequest(method: method, url: (overrideBase ?? baseURL) + path, headers: headers,
                                        body: body.map { Array($0.utf8) })
        let target = overrideBase.map { String($0.dropFirst("http://".count)) } ?? endpoint
        let response: HTTPClientResponse
        do {
            response = try http.send(request)
        } catch {
            throw Self.transportError(error, operation: operation, endpoint: target)
        }
        guard response.status == 200 else {
            let code: MilvusError.Code = response.status >= 500 ? .unavailable : .rejected
            var hint = ""
            if response.status == 401 || response.status == 403 { hint = " (check the Milvus token)" }
            if response.status == 404 { hint = " (is this Milvus 2.3 or later with REST v1?)" }
            throw MilvusError(code, "\(operation): Milvus at \(target) answered HTTP \(response.status)\(hint)")
        }
        do {
            return try decoder.decode(Answer.self, from: Data(response.body))
        } catch {
            throw MilvusError(.invalidResponse, "\(operation): unexpected answer from Milvus at \(target): \(Self.excerpt(response.bodyText))")
        }
    }

    static func transportError(_ error: HTTPClientError, operation: String, endpoint: String) -> MilvusError {
        switch error.code {
        case .timeout:
            return MilvusError(.timeout, "\(operation): Milvus at \(endpoint) did not answer in time")
        case .invalidRequest:
            return MilvusError(.invalidInput, "\(operation): cannot send the request to Milvus at \(endpoint): \(error.message)")
        case .responseTooLarge:
            return MilvusError(.invalidResponse, "\(operation): Milvus's answer was too large")
        default:
            // connect, tls, reset, ...: all mean "not reachable right now" to the caller.
            return MilvusError(.unavailable, "\(operation): Milvus at \(endpoint) is unreachable: \(error.message)")
        }
    }

    /// Codes 1 (service not ready) and 2 (service unavailable) are Milvus saying "try
    /// later"; everything else is a refusal of this request.
    static func rejection(code: Int, message: String?, operation: String) -> MilvusError {
        let kind: MilvusError.Code = (code == 1 || code == 2) ? .unavailable : .rejected
        return MilvusError(kind, "\(operation): Milvus code \(code): \(excerpt(message ?? "no message"))", milvusCode: code)
    }

    /// At most 300 characters on one line, so a long Milvus message stays a log line.
    static func excerpt(_ text: String) -> String {
        let line = text.map { $0.isNewline ? " " : $0 }
        return line.count > 300 ? String(line.prefix(300)) + "..." : String(line)
    }

    // MARK: - Polling

    /// Calls `condition` until it returns true, sleeping 5 ms, then twice as long each
    /// time up to 50 ms; throws `.timeout` with `what` once `timeout` has passed.
    func poll(timeout: Duration, what: String, _ condition: () throws(MilvusError) -> Bool) throws(MilvusError) {
        let deadline = Clock.monotonicNanoseconds() + UInt64(max(0, timeout.inSeconds) * 1e9)
        var pause: UInt32 = 5_000
        while true {
            if try condition() { return }
            if Clock.monotonicNanoseconds() >= deadline {
                throw MilvusError(.timeout, "\(what) did not happen within \(timeout.inSeconds) s")
            }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
    }
}
