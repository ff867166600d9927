import Foundation
import RagdCore
import RagdHTTP

/// On the OpenAI-compatible routes (`ChatCompletionRoutes.templates`), errors take OpenAI's
/// shape, `{"error": {"message", "type", "code", "param"}}`, which OpenAI's SDKs turn into
/// typed exceptions; everywhere else they stay problem+json. It rewrites the problem
/// response whoever made it (authentication, the rate limiter, a handler, 405), keeping
/// status and headers (`Retry-After`, `WWW-Authenticate`, `RateLimit-*`).
struct OpenAIErrorStyle: Middleware {
    func respond(to request: inout Request, next: (inout Request) -> Response) throws -> Response {
        let response = next(&request)
        guard let route = request.route, ChatCompletionRoutes.templates.contains(route),
              response.headers["content-type"] == "application/problem+json",
              case .bytes(let bytes) = response.body,
              let problem = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            return response
        }
        var rewritten = response
        rewritten.headers.set("Content-Type", "application/json")
        rewritten.body = .bytes(Array(Self.errorJSON(problem, status: response.status).utf8))
        return rewritten
    }

    /// OpenAI's error object for a problem (used for errors inside a stream too).
    static func errorJSON(_ problem: Problem, requestID: String?) -> String {
        var fields: [String: Any] = ["type": problem.type, "title": problem.title]
        if let detail = problem.detail { fields["detail"] = detail }
        if let requestID { fields["request_id"] = requestID }
        return errorJSON(fields, status: problem.status)
    }

    static func errorJSON(_ problem: [String: Any], status: Int) -> String {
        let code = ((problem["type"] as? String) ?? "").replacingOccurrences(of: "urn:ragd:problem:", with: "")
        let param = ((problem["errors"] as? [[String: Any]])?.first?["field"] as? String)
        var error: [(String, String)] = [
            ("message", JSONText.quoted((problem["detail"] as? String) ?? (problem["title"] as? String) ?? "error")),
            ("type", JSONText.quoted(errorType(status: status))),
            ("code", JSONText.quoted(openAICode(code, status: status))),
            ("param", param.map(JSONText.quoted) ?? "null"),
        ]
        if let requestID = problem["request_id"] as? String { error.append(("request_id", JSONText.quoted(requestID))) }
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
