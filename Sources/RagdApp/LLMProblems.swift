import RagdCore
import RagdHTTP
import RagdLLM

/// The HTTP answer for a failed generation: the LLM is a dependency, so its failures are
/// 502/503/504 naming it (`dependency: "llm"`), never its key or raw answer.
enum LLMProblems {
    static func problem(_ error: LLMError) -> Problem {
        var problem = problemWithoutCause(error)
        problem.cause = error.description
        return problem
    }

    private static func problemWithoutCause(_ error: LLMError) -> Problem {
        let dependency = [("dependency", JSONText.quoted("llm"))]
        switch error.code {
        case .timeout:
            return Problem(status: 504, code: "llm-timeout", title: "Gateway Timeout", detail: error.message,
                           extensions: dependency)
        case .rateLimited:
            var headers = HTTPHeaders()
            headers.add("Retry-After", "5")
            return Problem(status: 503, code: "llm-rate-limited", title: "Service Unavailable",
                           detail: error.message, extensions: dependency, headers: headers)
        case .unauthorized:
            return Problem(status: 502, code: "llm-unauthorized", title: "Bad Gateway", detail: error.message,
                           extensions: dependency)
        case .unavailable:
            return Problem(status: 502, code: "llm-unavailable", title: "Bad Gateway", detail: error.message,
                           extensions: dependency)
        case .badRequest:
            return Problem(status: 502, code: "llm-refused", title: "Bad Gateway", detail: error.message,
                           extensions: dependency)
        case .invalidResponse, .interrupted, .aborted, .invalidConfiguration:
            return Problem(status: 502, code: "llm-failed", title: "Bad Gateway", detail: error.message,
                           extensions: dependency)
        }
    }
}
