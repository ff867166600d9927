import Foundation
import RagdHTTP
import Testing

@testable import RagdApp

/// Errors on the OpenAI-compatible routes leave in OpenAI's shape, whoever raised them;
/// other routes keep problem+json.
@Suite struct OpenAIErrorStyleTests {
    /// Refuses every request as a middleware would (after routing), like the rate limiter.
    struct Refuse: Middleware {
        let problem: Problem
        func respond(to request: inout Request, next: (inout Request) -> Response) throws -> Response { throw problem }
    }

    static func responder(refusing problem: Problem? = nil) -> Responder {
        var router = Router()
        router.post("/v1/chat/completions") { _ in throw JSONBody.invalid("messages", "must be a non-empty array") }
        router.get("/v1/models") { _ in Response.json("{}") }
        router.post("/v1/search") { _ in throw JSONBody.invalid("query", "is required") }
        return Responder(router: router, middlewares: [OpenAIErrorStyle()] + (problem.map { [Refuse(problem: $0)] } ?? []))
    }

    static func send(_ responder: Responder, _ method: String, _ path: String) throws -> (Response, [String: Any]) {
        var request = Request(method: method, path: path, requestID: "req-1")
        let response = responder.respond(to: &request)
        guard case .bytes(let bytes) = response.body else { throw Problem.internalError() }
        return (response, try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]))
    }

    @Test func aValidationErrorNamesTheParam() throws {
        let (response, body) = try Self.send(Self.responder(), "POST", "/v1/chat/completions")
        #expect(response.status == 422)
        #expect(response.headers["content-type"] == "application/json")
        let error = try #require(body["error"] as? [String: Any])
        #expect(error["type"] as? String == "invalid_request_error")
        #expect(error["code"] as? String == "validation_error")
        #expect(error["param"] as? String == "messages")
        #expect((error["message"] as? String)?.contains("non-empty array") == true)
        #expect(error["request_id"] as? String == response.headers["x-request-id"])
    }

    @Test func aRateLimitRefusalKeepsItsHeaders() throws {
        var headers = HTTPHeaders()
        headers.add("Retry-After", "7")
        let problem = Problem(status: 429, code: "rate-limited", title: "Too Many Requests", detail: "slow down", headers: headers)
        let (response, body) = try Self.send(Self.responder(refusing: problem), "GET", "/v1/models")
        #expect(response.status == 429 && response.headers["retry-after"] == "7")
        let error = try #require(body["error"] as? [String: Any])
        #expect(error["type"] as? String == "rate_limit_error" && error["code"] as? String == "rate_limit_exceeded")
        #expect(error["param"] is NSNull)
    }

    @Test func unauthorizedAndWrongMethodAreOpenAIErrorsToo() throws {
        let unauthorized = Problem(status: 401, code: "invalid-token", title: "Unauthorized", detail: "expired")
        let (_, body) = try Self.send(Self.responder(refusing: unauthorized), "GET", "/v1/models")
        #expect((body["error"] as? [String: Any])?["code"] as? String == "invalid_api_key")
        let (response, wrongMethod) = try Self.send(Self.responder(), "GET", "/v1/chat/completions")
        #expect(response.status == 405 && response.headers["allow"] == "POST")
        #expect((wrongMethod["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
    }

    @Test func otherRoutesKeepProblemJSON() throws {
        let (response, body) = try Self.send(Self.responder(), "POST", "/v1/search")
        #expect(response.headers["content-type"] == "application/problem+json")
        #expect(body["type"] as? String == "urn:ragd:problem:validation-error" && body["error"] == nil)
    }
}
