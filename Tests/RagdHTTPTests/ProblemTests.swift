import Foundation
import RagdHTTP
import Testing

@Suite("Problem JSON")
struct ProblemTests {
    @Test func trickyDetailInstanceAndRequestIDStayValidJSON() throws {
        let problem = Problem(status: 400, code: "bad-request", title: "Bad \"Request\"", detail: trickyText)
        let response = problem.response(requestID: "id-\"\\\n", instance: "/v1/documents/\"\n\\ü")
        let json = try response.jsonObject()
        #expect(json["detail"] as? String == trickyText)
        #expect(json["title"] as? String == "Bad \"Request\"")
        #expect(json["instance"] as? String == "/v1/documents/\"\n\\ü")
        #expect(json["request_id"] as? String == "id-\"\\\n")
        #expect(json["status"] as? Int == 400)
    }

    @Test func bodyIsUTF8WithoutRawControlBytes() throws {
        let response = Problem.badRequest(trickyText).response(requestID: "r")
        let bytes = try #require(response.bodyBytes)
        #expect(!bytes.contains { $0 < 0x20 }, "JSON strings must escape every byte below 0x20")
        #expect(String(validating: bytes, as: UTF8.self) != nil)
    }

    @Test func membersAppearInTheDocumentedOrder() throws {
        let body = try #require(Problem.notFound("gone").response(requestID: "r1", instance: "/x").bodyText)
        #expect(body == #"{"type":"urn:ragd:problem:not-found","title":"Not Found","status":404,"detail":"gone","instance":"/x","request_id":"r1"}"#)
    }

    @Test func optionalMembersAreLeftOutNotNull() throws {
        let problem = Problem(status: 409, code: "conflict", title: "Conflict")
        let json = try problem.response(requestID: "r").jsonObject()
        #expect(json["detail"] == nil)
        #expect(json["instance"] == nil)
        #expect(Set(json.keys) == ["type", "title", "status", "request_id"])
    }

    @Test func contentTypeReplacesOneFromTheProblemHeaders() {
        var headers = HTTPHeaders()
        headers.add("content-type", "text/plain")
        headers.add("WWW-Authenticate", "Bearer")
        let response = Problem(status: 401, code: "unauthorized", title: "Unauthorized", headers: headers)
            .response(requestID: "r")
        #expect(response.headerValues("Content-Type") == ["application/problem+json"])
        #expect(response.headerValues("WWW-Authenticate") == ["Bearer"])
    }

    @Test(arguments: [
        (Problem.notFound(), 404, "not-found"),
        (Problem.methodNotAllowed(method: "PUT", allowed: ["GET", "HEAD"]), 405, "method-not-allowed"),
        (Problem.badRequest("bad"), 400, "bad-request"),
        (Problem.payloadTooLarge(limit: 10), 413, "payload-too-large"),
        (Problem.internalError(), 500, "internal-error"),
        (Problem.serviceUnavailable("later"), 503, "service-unavailable"),
    ])
    func factoriesGiveStatusAndStableType(problem: Problem, status: Int, code: String) throws {
        let response = problem.response(requestID: "r", instance: "/p")
        #expect(response.status == status)
        let json = try response.jsonObject()
        #expect(json["status"] as? Int == status)
        #expect(json["type"] as? String == "urn:ragd:problem:" + code)
        #expect(json["title"] as? String == HTTPStatus.reason(status))
    }

    @Test func methodNotAllowedCarriesAllowHeader() {
        let response = Problem.methodNotAllowed(method: "PUT", allowed: ["GET", "HEAD"]).response(requestID: "r")
        #expect(response.headerValues("Allow") == ["GET, HEAD"])
    }
}
