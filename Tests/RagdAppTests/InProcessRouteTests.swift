import Foundation
import RagdAuth
import RagdHTTP
import Testing

@testable import RagdApp

/// The `/v1` routes answered in-process, through the worker's own middlewares: what needs
/// no backend (authentication, validation, routing, the OpenAI error shape).
@Suite struct InProcessRouteTests {
    let app: InProcessApp
    init() throws { app = try InProcessApp() }

    @Test func aRequestWithoutTokenIs401WithAChallenge() throws {
        let response = app.sendJSON("POST", "/v1/search", token: nil, #"{"query": "x"}"#)
        #expect(response.status == 401)
        #expect(response.headers["content-type"] == "application/problem+json")
        #expect(response.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        #expect(response.headers["x-request-id"] != nil)
    }

    @Test func aTokenWithoutTheScopeIs403() throws {
        let token = try InProcessApp.token(scopes: [AuthScope.query])
        let response = app.send("GET", "/v1/documents", token: token)
        #expect(response.status == 403)
    }

    @Test func searchBodiesAreValidatedFieldByField() throws {
        let token = try InProcessApp.token(scopes: [AuthScope.documentsRead])
        let cases: [(body: String, field: String)] = [
            (#"{}"#, "query"),
            (#"{"query": ""}"#, "query"),
            (#"{"query": "x", "top_k": 0}"#, "top_k"),
            (#"{"query": "x", "mode": "fuzzy"}"#, "mode"),
            (#"{"query": "x", "colour": 1}"#, "colour"),
        ]
        for (body, field) in cases {
            let response = app.sendJSON("POST", "/v1/search", token: token, body)
            #expect(response.status == 422, "\(body)")
            #expect(try response.problemField() == field, "\(body)")
        }
        #expect(app.sendJSON("POST", "/v1/search", token: token, "{").status == 400)
        #expect(app.send("POST", "/v1/search", token: token, contentType: "text/plain", body: "x").status == 415)
    }

    @Test func aMalformedFilterIs422EvenWhileTheBackendsAreDown() throws {
        let down = try InProcessApp(servicesDown: true)
        let token = try InProcessApp.token(scopes: [AuthScope.documentsRead, AuthScope.query])
        let cases: [(path: String, body: String, field: String)] = [
            ("/v1/search", #"{"query": "x", "filter": {"colour": 1}}"#, "filter.colour"),
            ("/v1/search", #"{"query": "x", "filter": {"document_ids": ["not-a-uuid"]}}"#, "filter.document_ids"),
            ("/v1/search", #"{"query": "x", "filter": {"metadata": {"k\u0000": "v"}}}"#, "filter.metadata"),
            ("/v1/query", #"{"question": "x", "filter": {"metadata": []}}"#, "filter.metadata"),
        ]
        for (path, body, field) in cases {
            let response = down.sendJSON("POST", path, token: token, body)
            #expect(response.status == 422, "\(path) \(body)")
            #expect(try response.problemField() == field, "\(path) \(body)")
        }
        // A well-formed filter needs the store: the database being down is then the answer.
        let wellFormed = down.sendJSON("POST", "/v1/search", token: token, #"{"query": "x", "filter": {"metadata": {"k": "v"}}}"#)
        #expect(wellFormed.status == 503)
    }

    @Test func documentBodiesAreValidatedFieldByField() throws {
        let token = try InProcessApp.token(scopes: [AuthScope.documentsWrite])
        let cases: [(body: String, field: String)] = [
            (#"{"text": "hello"}"#, "title"),
            (#"{"title": "t"}"#, "text"),
            (#"{"title": "t", "text": "hello", "metadata": []}"#, "metadata"),
            (#"{"title": "t", "text": "hello", "author": "me"}"#, "author"),
        ]
        for (body, field) in cases {
            let response = app.sendJSON("POST", "/v1/documents", token: token, body)
            #expect(response.status == 422, "\(body)")
            #expect(try response.problemField() == field, "\(body)")
        }
        #expect(app.sendJSON("POST", "/v1/documents?async=maybe", token: token, #"{"title": "t", "text": "x"}"#).status == 422)
    }

    @Test func anUnknownDocumentIDIs404WithoutTouchingTheStore() throws {
        let token = try InProcessApp.token(scopes: [AuthScope.documentsRead])
        let response = app.send("GET", "/v1/documents/not-a-uuid", token: token)
        #expect(response.status == 404)
        #expect(try response.jsonObject()["type"] as? String == "urn:ragd:problem:not-found")
    }

    @Test func unknownRoutesAre404AndWrongMethods405WithAllow() throws {
        let missing = app.send("GET", "/v1/nothing-here")
        #expect(missing.status == 404)
        #expect(try missing.jsonObject()["instance"] as? String == "/v1/nothing-here")
        let wrong = app.send("PUT", "/v1/documents")
        #expect(wrong.status == 405)
        #expect(wrong.headers["allow"] == "GET, HEAD, POST")
    }

    @Test func theChatRouteAnswersInOpenAIsShape() throws {
        let unauthorized = app.sendJSON("POST", "/v1/chat/completions", token: nil, #"{"messages": []}"#)
        #expect(unauthorized.status == 401 && unauthorized.headers["content-type"] == "application/json")
        let error = try #require(try unauthorized.jsonObject()["error"] as? [String: Any])
        #expect(error["code"] as? String == "invalid_api_key" && error["type"] as? String == "authentication_error")

        let token = try InProcessApp.token(scopes: [AuthScope.query])
        let invalid = app.sendJSON("POST", "/v1/chat/completions", token: token, #"{"messages": [], "n": 2}"#)
        #expect(invalid.status == 422)
        let param = try #require(try invalid.jsonObject()["error"] as? [String: Any])["param"] as? String
        #expect(param == "n")

        let model = app.send("GET", "/v1/models/gpt-4o", token: token)
        #expect(model.status == 404)
        #expect((try model.jsonObject()["error"] as? [String: Any])?["code"] as? String == "model_not_found")
    }
}
