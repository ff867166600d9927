import RagdCore

/// An RFC 9457 problem: the one shape every ragd error leaves in
/// (`application/problem+json`). Throw it from a handler to answer with it.
public struct Problem: Error, Sendable {
    /// HTTP status (e.g. 404).
    public var status: Int
    /// A stable identifier for the kind of problem, e.g. `urn:ragd:problem:not-found`.
    public var type: String
    /// A short, human-readable summary that does not change between occurrences.
    public var title: String
    /// What went wrong this time; never internals, secrets or connection strings.
    public var detail: String?
    /// What a validation problem is about, field by field (a field's path in the body or
    /// query, e.g. `filter.document_ids` or `files[2]`): sent as the `errors` member
    /// (`[{field, message}]`, as RFC 9457 suggests), before `extensions`. Default none.
    public var errors: [(field: String, message: String)]
    /// Extra members (already JSON text), e.g. `("dependency", "\"database\"")`.
    public var extensions: [(String, String)]
    /// Response headers that belong to this problem (`Allow`, `Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPHeaders
    /// Why, for the log and never for the client: the failing library's error text. The
    /// `Responder` logs every 5xx problem with it (`ServerFaultLog`).
    public var cause: String?

    public init(status: Int, code: String, title: String, detail: String? = nil, errors: [(field: String, message: String)] = [],
                extensions: [(String, String)] = [], headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.type = "urn:ragd:problem:" + code
        self.title = title
        self.detail = detail
        self.errors = errors
        self.extensions = extensions
        self.headers = headers
    }

    /// The problem as a response; `requestID` and `instance` (the request path) are included
    /// so a user can quote them to an operator.
    public func response(requestID: String, instance: String? = nil) -> Response {
        var fields: [(String, String)] = [
            ("type", JSONText.quoted(type)),
            ("title", JSONText.quoted(title)),
            ("status", String(status)),
        ]
        if let detail { fields.append(("detail", JSONText.quoted(detail))) }
        if let instance { fields.append(("instance", JSONText.quoted(instance))) }
        fields.append(("request_id", JSONText.quoted(requestID)))
        if !errors.isEmpty {
            fields.append(("errors", "[" + errors.map { error in
                JSONText.object([("field", JSONText.quoted(error.field)), ("message", JSONText.quoted(error.message))])
            }.joined(separator: ",") + "]"))
        }
        fields.append(contentsOf: extensions)
        var response = Response(status: status, headers: headers, body: .bytes(Array(JSONText.object(fields).utf8)))
        response.headers.set("Content-Type", "application/problem+json")
        response.problem = self
        return response
    }
}

extension Problem {
    public static func notFound(_ detail: String? = nil) -> Problem {
        Problem(status: 404, code: "not-found", title: "Not Found", detail: detail)
    }

    public static func methodNotAllowed(method: String, allowed: [String]) -> Problem {
        var headers = HTTPHeaders()
        headers.add("Allow", allowed.joined(separator: ", "))
        return Problem(status: 405, code: "method-not-allowed", title: "Method Not Allowed",
                       detail: "\(method) is not supported here; use \(allowed.joined(separator: ", ")).",
                       headers: headers)
    }

    public static func badRequest(_ detail: String) -> Problem {
        Problem(status: 400, code: "bad-request", title: "Bad Request", detail: detail)
    }

    public static func payloadTooLarge(limit: Int) -> Problem {
        Problem(status: 413, code: "payload-too-large", title: "Content Too Large",
                detail: "The request body exceeds the limit of \(limit) bytes.")
    }

    public static func internalError() -> Problem {
        Problem(status: 500, code: "internal-error", title: "Internal Server Error",
                detail: "The server failed to handle this request; quote the request id to the operator.")
    }

    public static func serviceUnavailable(_ detail: String) -> Problem {
        Problem(status: 503, code: "service-unavailable", title: "Service Unavailable", detail: detail)
    }
}
