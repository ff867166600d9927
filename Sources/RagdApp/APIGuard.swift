import RagdCore
import RagdAuth
import RagdHTTP
import RagdLLM
import RagdPipeline

/// Authentication and error mapping shared by the `/v1` routes.
struct APIGuard: Sendable {
    let authenticator: Authenticator

    /// The caller, who must hold one of `scopes`. 401/403 problems otherwise, with the
    /// `WWW-Authenticate` header RFC 6750 asks for. A token the rate limiter already
    /// verified for this request (`request.caller`) is not verified again.
    func principal(_ request: Request, anyOf scopes: [String]) throws -> Principal {
        do throws(AuthError) {
            let principal: Principal
            if let verified = request.caller as? Principal {
                principal = verified
            } else {
                principal = try authenticate(request)
            }
            if !scopes.contains(where: principal.has) {
                try principal.require(scopes[0])
            }
            return principal
        } catch {
            let challenge = error.challenge
            var headers = HTTPHeaders()
            headers.add("WWW-Authenticate", challenge.wwwAuthenticate)
            throw Problem(status: challenge.status, code: challenge.problemCode, title: challenge.title,
                          detail: challenge.detail, headers: headers)
        }
    }

    /// The principal of the request's bearer token.
    func authenticate(_ request: Request) throws(AuthError) -> Principal {
        try authenticator.authenticate(authorizationHeader: request.headers["authorization"])
    }

    /// The HTTP answer for whatever a `/v1` handler threw: a `Problem` as it is, an LLM
    /// failure by `LLMProblems`, any other failure as a dependency's state
    /// (`PipelineError.from`), never its internals. The library's text goes to `cause`,
    /// for the log.
    static func problem(_ failure: Error) -> Problem {
        if let problem = failure as? Problem { return problem }
        if let failure = failure as? LLMError { return LLMProblems.problem(failure) }
        let error = PipelineError.from(failure)
        var problem = problem(error)
        problem.cause = error.cause
        return problem
    }

    private static func problem(_ error: PipelineError) -> Problem {
        switch error.code {
        case .unavailable:
            var headers = HTTPHeaders()
            headers.add("Retry-After", "5")
            return Problem(status: 503, code: "dependency-unavailable", title: "Service Unavailable",
                           detail: error.message, extensions: dependency(error), headers: headers)
        case .timeout:
            return Problem(status: 504, code: "dependency-timeout", title: "Gateway Timeout", detail: error.message,
                           extensions: dependency(error))
        case .conflict:
            return Problem(status: 409, code: "conflict", title: "Conflict", detail: error.message)
        case .invalidInput:
            return Problem(status: 422, code: "validation-error", title: "Unprocessable Content", detail: error.message)
        default:
            return Problem(status: 502, code: "dependency-failed", title: "Bad Gateway", detail: error.message,
                           extensions: dependency(error))
        }
    }

    private static func dependency(_ error: PipelineError) -> [(String, String)] {
        error.dependency.map { [("dependency", JSONText.quoted($0))] } ?? []
    }
}
