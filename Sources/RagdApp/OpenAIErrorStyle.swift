import Foundation
import RagdCore
import RagdHTTP

/// On the OpenAI-compatible routes (`ChatCompletionRoutes.templates`), errors take OpenAI's
/// shape, `{"error": {"message", "type", "code", "param"}}`, which OpenAI's SDKs turn into
/// typed exceptions; everywhere else they stay problem+json. It rewrites every problem
/// response whoever made it (authentication, the rate limiter, a handler, 405), from the
/// `Problem` the response carries, keeping status and headers (`Retry-After`,
/// `WWW-Authenticate`, `RateLimit-*`).
struct OpenAIErrorStyle: Middleware {
    func respond(to request: inout Request, next: (inout Request) -> Response) throws -> Response {
        let response = next(&request)
        // The problem first: most responses are not one, and the route's Set lookup hashes.
        guard let problem = response.problem, let route = request.route,
              ChatCompletionRoutes.templates.contains(route) else {
            return response
        }
        var rewritten = response
        rewritten.headers.set("Content-Type", "application/json")
        rewritten.body = .bytes(Array(Self.errorJSON(problem, requestID: request.requestID).utf8))
        return rewritten
    }

    /// OpenAI's error object for a problem (used for errors inside a stream too); `param`
    /// is the first field a validation problem names.
    static func errorJSON(_ problem: Problem, requestID: String?) -> String {
        let code = problem.type.replacingOccurrences(of: "urn:ragd:problem:", with: "")
        var error: [(String, String)] = [
            ("message", JSONText.quoted(problem.detail ?? problem.title)),
            ("type", JSONText.quoted(errorType(status: problem.status))),
            ("code", JSONText.quoted(openAICode(code, status: problem.status))),
            ("param", problem.errors.first.map { JSONText.quoted($0.field) } ?? "null"),
        ]
        if let requestID { error.append(("request_id", JSONText.quoted(requestID))) }
        return JSONText.object([("error", JSONText.object(error))])
    }

    /// OpenAI's error types, by status.
    static func errorType(status: Int) -> String {
        switch status {
        case 401: return "authentication_error"
        case 403: return "permission_error"
        case 404: return "not_found_error"
        case 429: return "rate_limit_error"
        case 400..<500: return "invalid_request_error"
        default: return "server_error"
        }
    }

    /// The codes OpenAI's clients know by name; ragd's own problem code otherwise, in
    /// OpenAI's snake case.
    static func openAICode(_ code: String, status: Int) -> String {
        switch (status, code) {
        case (401, _): return "invalid_api_key"
        case (429, _): return "rate_limit_exceeded"
        default: return code.replacingOccurrences(of: "-", with: "_")
        }
    }
}
