import Foundation

/// Cross-origin access for browsers (`ALLOWED_ORIGINS`), as a middleware.
///
/// * An `Origin` must equal one of `allowedOrigins` exactly (after lower-casing; the
///   settings normalize the list to `scheme://host[:port]`). The answer names that origin,
///   never `*`, and carries `Vary: Origin` so caches keep answers per origin.
/// * A preflight (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin
///   is answered here with 204, the allowed methods and headers and `Access-Control-Max-Age`;
///   from any other origin, or asking for another method, with 403 and no CORS headers.
/// * Other requests run as usual; from an allowed origin the response gains
///   `Access-Control-Allow-Origin` and exposes ragd's own headers (`X-Request-ID`,
///   `X-Cache`, `RateLimit-*`, `Retry-After`) to the page; from another origin it gains no
///   CORS headers, so the browser withholds it.
/// * No `Access-Control-Allow-Credentials`: ragd authenticates with bearer tokens, which
///   a page sends in `Authorization` without cookies.
public struct CORSPolicy: Middleware {
    /// Origins allowed to call, `scheme://host[:port]`.
    public let allowedOrigins: Set<String>
    /// Methods a preflight may ask for. Default: GET, POST, DELETE.
    public let allowedMethods: [String]
    /// Request headers a page may send. Default: Authorization, Content-Type, Accept,
    /// X-Request-ID, Last-Event-ID.
    public let allowedHeaders: [String]
    /// Response headers a page may read beyond the CORS-safelisted ones.
    public let exposedHeaders: [String]
    /// How long a browser may reuse a preflight answer. Default: 600 seconds.
    public let maxAgeSeconds: Int

    public init(allowedOrigins: [String],
                allowedMethods: [String] = ["GET", "POST", "DELETE"],
                allowedHeaders: [String] = ["Authorization", "Content-Type", "Accept", "X-Request-ID", "Last-Event-ID"],
                exposedHeaders: [String] = ["X-Request-ID", "X-Cache", "RateLimit-Limit", "RateLimit-Remaining",
                                            "RateLimit-Reset", "Retry-After"],
                maxAgeSeconds: Int = 600) {
        self.allowedOrigins = Set(allowedOrigins.map { $0.lowercased() })
        self.allowedMethods = allowedMethods
        self.allowedHeaders = allowedHeaders
        self.exposedHeaders = exposedHeaders
        self.maxAgeSeconds = maxAgeSeconds
    }

    public func respond(to request: inout Request, next: (inout Request) -> Response) throws -> Response {
        guard let origin = request.headers["Origin"] else { return next(&request) }
        let allowed = allowedOrigins.contains(origin.lowercased())
        if request.method == "OPTIONS", let method = request.headers["Access-Control-Request-Method"] {
            return try preflight(origin: origin, allowed: allowed, method: method,
                                 headers: request.headers["Access-Control-Request-Headers"])
        }
        var response = next(&request)
        response.headers.add("Vary", "Origin")
        if allowed {
            response.headers.set("Access-Control-Allow-Origin", origin)
            response.headers.set("Access-Control-Expose-Headers", exposedHeaders.joined(separator: ", "))
        }
        return response
    }

    private func preflight(origin: String, allowed: Bool, method: String, headers: String?) throws -> Response {
        guard allowed else {
            throw Problem(status: 403, code: "cors-origin-not-allowed", title: "Origin not allowed",
                          detail: "This origin may not call the API from a browser (see ALLOWED_ORIGINS).")
        }
        guard allowedMethods.contains(method.trimmingCharacters(in: .whitespaces).uppercased()) else {
            throw Problem(status: 403, code: "cors-method-not-allowed", title: "Method not allowed for cross-origin use",
                          detail: "Cross-origin requests may use \(allowedMethods.joined(separator: ", ")).")
        }
        let allowedLower = Set(allowedHeaders.map { $0.lowercased() })
        let requested = (headers ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty }
        if let refused = requested.first(where: { !allowedLower.contains($0) }) {
            throw Problem(status: 403, code: "cors-header-not-allowed", title: "Header not allowed for cross-origin use",
                          detail: "Cross-origin requests may not send \(refused); allowed: \(allowedHeaders.joined(separator: ", ")).")
        }
        var response = Response(status: 204)
        response.headers.add("Access-Control-Allow-Origin", origin)
        response.headers.add("Access-Control-Allow-Methods", allowedMethods.joined(separator: ", "))
        response.headers.add("Access-Control-Allow-Headers", allowedHeaders.joined(separator: ", "))
        response.headers.add("Access-Control-Max-Age", String(maxAgeSeconds))
        response.headers.add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
        return response
    }
}
