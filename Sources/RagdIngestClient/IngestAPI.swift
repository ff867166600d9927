import Foundation
import RagdCurl

/// Where `ragd ingest` sends files and how it talks to the server.
public struct IngestConnection: Sendable {
    /// `https://host[:port]`, without a trailing slash.
    public var baseURL: String
    /// The bearer token (never printed).
    public var token: String
    /// A PEM file of authorities to trust (a private CA, a self-signed certificate).
    public var caFile: String?
    /// Skip certificate checks, as `curl -k` (the user asked for it with `--insecure`).
    public var insecure: Bool
    /// Retries of one request after 502/503/504, a timeout or a connection failure, with
    /// exponential backoff (1 s doubling, at most 30 s, or `Retry-After`). Default: 5.
    public var retries: Int = 5
    /// Waits after a 429 for one request, each as long as `Retry-After` says (at most
    /// 60 s): a rate limit slows a run down but does not fail it. Default: 30.
    public var rateLimitWaits: Int = 30
    /// Bound of one upload: a synchronous ingest embeds the whole file before it answers.
    /// Default: 600 s (nginx waits 300 s for ragd).
    public var uploadTimeout: Duration = .seconds(600)

    public init(baseURL: String, token: String, caFile: String? = nil, insecure: Bool = false) {
        self.baseURL = baseURL
        self.token = token
        self.caFile = caFile
        self.insecure = insecure
    }
}

/// How one API call ended, after the retries the policy allows.
enum APIResult {
    /// A 2xx answer.
    case success(status: Int, body: [String: Any])
    /// The server refused this request (4xx but 401/403/429, or 500): the file fails
    /// with the server's own words.
    case refused(status: Int, message: String)
    /// The token was refused (401/403): every other request would be too, so the run stops.
    case unauthorized(message: String)
    /// The server stayed unreachable or overloaded through every retry, or TLS failed:
    /// the run stops (what is done is in the state).
    case unavailable(message: String)
    /// The run stopped (another thread's fatal error) while this call waited to retry.
    case stopped
}

/// The ragd API as `ragd ingest` uses it, over one libcurl handle: one per thread (a
/// handle is not thread-safe; each keeps its own connection alive).
final class IngestAPI {
    let connection: IngestConnection
    private let client: HTTPClient
    /// Asked between retries and while waiting: false stops at once (another thread hit
    /// a fatal error, or the run was interrupted).
    private let shouldContinue: () -> Bool

    init(_ connection: IngestConnection, shouldContinue: @escaping () -> Bool) throws {
        self.connection = connection
        self.shouldContinue = shouldContinue
        do {
            client = try HTTPClient(options: HTTPClient.Options(connectTimeout: .seconds(10), timeout: .seconds(60),
                                                                maxResponseBytes: 16 << 20, userAgent: "ragd-ingest",
                                                                caFile: connection.caFile),
                                    insecureSkipTLSVerificationForTesting: connection.insecure)
        } catch {
            throw IngestError("cannot start libcurl: \(error.message)")
        }
    }

    /// Uploads one file as a multipart form (`file`, and `source`: the path as the user
    /// named it); with `background`, as a job (`?async=true`).
    func upload(_ file: IngestFile, content: [UInt8], background: Bool) -> APIResult {
        var form = MultipartBody()
        form.addField("source", file.displayPath)
        form.addFile("file", filename: (file.path as NSString).lastPathComponent, contentType: file.format.mediaType,
                     content: content)
        form.finish()
        return call(HTTPClientRequest(method: "POST", url: connection.baseURL + "/v1/documents" + (background ? "?async=true" : ""),
                                      headers: [("Content-Type", form.contentType)], body: form.bytes,
                                      timeout: connection.uploadTimeout))
    }

    /// Uploads several files as background jobs in one request (the batch form: every
    /// file a part named `files`; `sources`, the paths as the user named them, in order).
    /// The server queues all of them or none.
    func uploadBatch(_ files: [(file: IngestFile, content: [UInt8])]) -> APIResult {
        var form = MultipartBody()
        let sources = (try? JSONSerialization.data(withJSONObject: files.map(\.file.displayPath))) ?? Data("[]".utf8)
        form.addField("sources", String(decoding: sources, as: UTF8.self))
        for (file, content) in files {
            form.addFile("files", filename: (file.path as NSString).lastPathComponent, contentType: file.format.mediaType,
                         content: content)
        }
        form.finish()
        return call(HTTPClientRequest(method: "POST", url: connection.baseURL + "/v1/documents?async=true",
                                      headers: [("Content-Type", form.contentType)], body: form.bytes,
                                      timeout: connection.uploadTimeout))
    }

    /// The tenant's jobs among `ids` (at most 100), as the server shows them.
    func jobs(_ ids: [String]) -> APIResult {
        call(HTTPClientRequest(url: connection.baseURL + "/v1/jobs?ids=" + ids.joined(separator: ",")))
    }

    /// Sends `request` with the token, retrying what the policy retries.
    func call(_ request: HTTPClientRequest) -> APIResult {
        var request = request
        request.headers.append(("Authorization", "Bearer " + connection.token))
        request.headers.append(("Accept", "application/json"))
        let backoff = RetryBackoff(base: .seconds(1), cap: .seconds(30))
        var failures = 0, rateLimited = 0
        while true {
            guard shouldContinue() else { return .stopped }
            let response: HTTPClientResponse
            do {
                response = try client.send(request)
            } catch {
                // A certificate problem will not go away by itself; say what to do.
                if error.code == .tls {
                    return .unavailable(message: "TLS: \(error.message) (--ca FILE trusts a private certificate, --insecure skips the check)")
                }
                failures += 1
                guard failures <= connection.retries else { return .unavailable(message: error.message) }
                guard RetryBackoff.wait(seconds: backoff.seconds(beforeRetry: failures, retryAfter: nil),
                                        shouldContinue: shouldContinue) else { return .stopped }
                continue
            }
            let retryAfter = RetryBackoff.retryAfterSeconds(response.header("Retry-After"))
            switch response.status {
            case 200..<300:
                let body = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
                return .success(status: response.status, body: body)
            case 401, 403:
                return .unauthorized(message: Self.problemMessage(response))
            case 429:
                rateLimited += 1
                guard rateLimited <= connection.rateLimitWaits else {
                    return .unavailable(message: "still rate limited after \(connection.rateLimitWaits) waits: \(Self.problemMessage(response))")
                }
                let wait = min(retryAfter ?? backoff.seconds(beforeRetry: rateLimited, retryAfter: nil), 60)
                guard RetryBackoff.wait(seconds: wait, shouldContinue: shouldContinue) else { return .stopped }
            case 409, 502, 503, 504:
                // 409: the same text is being ingested by another request right now (an
                // earlier attempt of this one, perhaps); it settles within seconds.
                failures += 1
                guard failures <= connection.retries else {
                    // A conflict that does not settle is this file's problem, not the server's.
                    let message = Self.problemMessage(response)
                    return response.status == 409 ? .refused(status: 409, message: message) : .unavailable(message: message)
                }
                guard RetryBackoff.wait(seconds: backoff.seconds(beforeRetry: failures, retryAfter: retryAfter),
                                        shouldContinue: shouldContinue) else { return .stopped }
            default:
                return .refused(status: response.status, message: Self.problemMessage(response))
            }
        }
    }

    /// `422 Unprocessable Content: <detail>` from a problem+json body, else the status and
    /// the start of the body.
    static func problemMessage(_ response: HTTPClientResponse) -> String {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let title = object?["title"] as? String
        let detail = (object?["detail"] as? String) ?? ((object?["error"] as? [String: Any])?["message"] as? String)
        let status = "\(response.status)" + (title.map { " " + $0 } ?? "")
        if let detail { return status + ": " + detail }
        let text = response.bodyText.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? status : status + ": " + String(text.prefix(200))
    }
}
