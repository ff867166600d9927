import Foundation
import Logging
@testable import RagdHTTP
import RagdLog
import Testing

/// An error whose text is exactly what must never reach a client.
private struct LeakyError: Error, CustomStringConvertible {
    var description: String { "connect to postgres://ragd:hunter2@db.internal:5432/ragd failed: /srv/ragd/secret.key" }
}

@Suite("Responder")
struct ResponderTests {
    static let requestID = "0123456789abcdef0123456789abcdef"

    static func router() -> Router {
        var router = Router()
        router.get("/v1/documents/{id}") { request in
            .json("{\"id\":\"\(request.pathParameters["id"] ?? "")\"}")
        }
        router.post("/v1/documents/search", answer("search"))
        router.get("/v1/limited") { _ in
            var headers = HTTPHeaders()
            headers.add("Retry-After", "7")
            throw Problem(status: 429, code: "rate-limited", title: "Too Many Requests",
                          detail: "Slow down.", extensions: [("limit", "60"), ("errors", "[\"a\",\"b\"]")],
                          headers: headers)
        }
        router.get("/v1/gone") { _ in throw Problem.methodNotAllowed(method: "GET", allowed: ["DELETE"]) }
        router.get("/v1/broken") { _ in throw LeakyError() }
        router.get("/v1/own-id") { _ in
            var response = Response.text("hi")
            response.headers.add("X-Request-ID", "handler-made-this-up")
            return response
        }
        return router
    }

    static func responder(_ logs: Recorder<LoggedRecord> = Recorder(),
                          observers: [@Sendable (CompletedRequest) -> Void] = []) -> Responder {
        Responder(router: router(), logger: recordingLogger(logs), observers: observers)
    }

    /// Responds to `method target` and returns both the response and the request as routed.
    static func respond(_ method: String, _ target: String,
                        with responder: Responder = responder()) -> (Response, Request) {
        var request = makeRequest(method, target, requestID: requestID)
        let response = responder.respond(to: &request)
        return (response, request)
    }

    // MARK: X-Request-ID on every response

    @Test(arguments: [
        ("GET", "/v1/documents/a", 200),
        ("GET", "/nowhere", 404),
        ("GET", "/v1/documents/search", 405),
        ("GET", "/v1/limited", 429),
        ("GET", "/v1/broken", 500),
        ("GET", "/v1/own-id", 200),
    ])
    func everyResponseCarriesTheRequestIDOnce(method: String, target: String, status: Int) {
        let (response, _) = Self.respond(method, target)
        #expect(response.status == status)
        #expect(response.headerValues("X-Request-ID") == [Self.requestID])
    }

    // MARK: Found

    @Test func foundRouteRunsHandlerWithParametersAndTemplate() throws {
        let (response, request) = Self.respond("GET", "/v1/documents/a%20b")
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(try response.jsonObject()["id"] as? String == "a b")
        #expect(request.route == "/v1/documents/{id}")
        #expect(request.pathParameters == ["id": "a b"])
    }

    @Test func headIsAnsweredByGetHandler() {
        let (response, request) = Self.respond("HEAD", "/v1/documents/x")
        #expect(response.status == 200)
        #expect(request.route == "/v1/documents/{id}")
    }

    // MARK: 404 and 405

    @Test func unknownPathIsProblem404WithoutRoute() throws {
        let (response, request) = Self.respond("GET", "/v1/nope?x=1")
        #expect(response.status == 404)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(request.route == nil)
        #expect(request.pathParameters.isEmpty)
        let json = try response.jsonObject()
        #expect(json["type"] as? String == "urn:ragd:problem:not-found")
        #expect(json["title"] as? String == "Not Found")
        #expect(json["status"] as? Int == 404)
        #expect(json["instance"] as? String == "/v1/nope")
        #expect(json["request_id"] as? String == Self.requestID)
    }

    @Test func wrongMethodIsProblem405WithAllowAndTemplate() throws {
        let (response, request) = Self.respond("DELETE", "/v1/documents/search")
        #expect(response.status == 405)
        #expect(response.headerValues("Allow") == ["POST"])
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(request.route == "/v1/documents/search")
        let json = try response.jsonObject()
        #expect(json["type"] as? String == "urn:ragd:problem:method-not-allowed")
        #expect(json["status"] as? Int == 405)
        #expect(json["request_id"] as? String == Self.requestID)
    }

    @Test func allowOnParameterRouteListsHeadWithGet() {
        let (response, _) = Self.respond("POST", "/v1/documents/abc")
        #expect(response.status == 405)
        #expect(response.headerValues("Allow") == ["GET, HEAD"])
    }

    // MARK: Thrown errors

    @Test func thrownProblemKeepsItsStatusHeadersAndMembers() throws {
        let (response, request) = Self.respond("GET", "/v1/limited")
        #expect(response.status == 429)
        #expect(response.headerValues("Retry-After") == ["7"])
        #expect(response.headerValues("Content-Type") == ["application/problem+json"])
        #expect(request.route == "/v1/limited")
        let json = try response.jsonObject()
        #expect(json["type"] as? String == "urn:ragd:problem:rate-limited")
        #expect(json["title"] as? String == "Too Many Requests")
        #expect(json["status"] as? Int == 429)
        #expect(json["detail"] as? String == "Slow down.")
        #expect(json["instance"] as? String == "/v1/limited")
        #expect(json["request_id"] as? String == Self.requestID)
        #expect(json["limit"] as? Int == 60)
        #expect(json["errors"] as? [String] == ["a", "b"])
    }

    @Test func thrownMethodNotAllowedKeepsAllow() {
        let (response, _) = Self.respond("GET", "/v1/gone")
        #expect(response.status == 405)
        #expect(response.headerValues("Allow") == ["DELETE"])
    }

    @Test func thrownOtherErrorIs500WithoutInternals() throws {
        let logs = Recorder<LoggedRecord>()
        let (response, request) = Self.respond("GET", "/v1/broken", with: Self.responder(logs))
        #expect(response.status == 500)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(request.route == "/v1/broken")

        let body = try #require(response.bodyText)
        for secret in ["hunter2", "postgres://", "db.internal", "secret.key", "LeakyError"] {
            #expect(!body.contains(secret), "500 body leaks \(secret): \(body)")
        }
        let json = try response.jsonObject()
        #expect(json["type"] as? String == "urn:ragd:problem:internal-error")
        #expect(json["status"] as? Int == 500)
        #expect(json["request_id"] as? String == Self.requestID)

        // The operator still gets the cause, tied to the same request id.
        let failure = try #require(logs.items.first { $0.level == .error })
        #expect(failure.metadata["request_id"] == .string(Self.requestID))
        #expect(failure.metadata["route"] == .string("/v1/broken"))
        #expect(failure.metadata["error"]?.description.contains("hunter2") == true)
    }

    @Test func refusedRequestIsProblemWithRequestID() throws {
        let responder = Self.responder()
        let request = makeRequest("POST", "/v1/documents", requestID: Self.requestID)
        let response = responder.refuse(request, with: .payloadTooLarge(limit: 1024))
        #expect(response.status == 413)
        #expect(response.headerValues("X-Request-ID") == [Self.requestID])
        let json = try response.jsonObject()
        #expect(json["type"] as? String == "urn:ragd:problem:payload-too-large")
        #expect(json["instance"] as? String == "/v1/documents")
        #expect((json["detail"] as? String)?.contains("1024") == true)
    }

    // MARK: finished

    @Test func finishedNotifiesEveryObserverInOrder() throws {
        let seen = Recorder<(Int, CompletedRequest)>()
        let responder = Self.responder(observers: [
            { seen.append((1, $0)) },
            { seen.append((2, $0)) },
        ])
        let completed = CompletedRequest(requestID: Self.requestID, method: "GET", route: "/v1/documents/{id}",
                                         status: 200, durationSeconds: 0.0125, bytesSent: 321, completed: true)
        responder.finished(completed)
        let items = seen.items
        #expect(items.map(\.0) == [1, 2])
        let first = try #require(items.first?.1)
        #expect(first.requestID == Self.requestID)
        #expect(first.route == "/v1/documents/{id}")
        #expect(first.status == 200)
        #expect(first.bytesSent == 321)
        #expect(first.completed)
    }

    @Test func accessLogLabelsUnmatchedRequestsWithoutTheRawPath() throws {
        let logs = Recorder<LoggedRecord>()
        let responder = Self.responder(logs)
        var request = makeRequest("GET", "/v1/random-\(UUID().uuidString)", requestID: Self.requestID)
        let response = responder.respond(to: &request)
        responder.finished(CompletedRequest(requestID: request.requestID, method: request.method, route: request.route,
                                            status: response.status, durationSeconds: 0.002, bytesSent: 10,
                                            completed: true))
        let line = try #require(logs.items.first { $0.message == "request" })
        #expect(line.level == .info)
        #expect(line.metadata["route"] == .string("unmatched"))
        #expect(line.metadata["status"]?.description == "404")
        #expect(line.metadata["request_id"] == .string(Self.requestID))
        #expect(line.metadata["duration_ms"]?.description == "2.0")
    }

    @Test func accessLogIsSkippedAboveInfoButObserversStillRun() {
        let logs = Recorder<LoggedRecord>()
        let seen = Recorder<CompletedRequest>()
        let responder = Responder(router: Self.router(), logger: recordingLogger(logs, level: .warning),
                                  observers: [{ seen.append($0) }])
        responder.finished(CompletedRequest(requestID: "r", method: "GET", route: nil, status: 404,
                                            durationSeconds: 0, bytesSent: 0, completed: false))
        #expect(logs.items.isEmpty)
        #expect(seen.items.count == 1)
        #expect(seen.items.first?.route == nil)
        #expect(seen.items.first?.completed == false)
    }

    // MARK: the access log line built without swift-log

    @Test(arguments: [
        CompletedRequest(requestID: Self.requestID, method: "GET", route: "/v1/documents/{id}", status: 200,
                         durationSeconds: 0.0123456, bytesSent: 321, completed: true),
        CompletedRequest(requestID: "a\"b\\c\u{1}", method: "BREW", route: nil, status: 404,
                         durationSeconds: 0, bytesSent: 0, completed: false),
    ])
    func directAccessLineIsWhatTheJSONHandlerWritesForTheSameFields(_ completed: CompletedRequest) {
        let handler = JSONLogHandler(label: "ragd.http")
        let throughSwiftLog = handler.line(level: .info, message: "request",
                                           metadata: Responder.accessMetadata(completed)).text
        let direct = Responder.accessLine(completed, label: "ragd.http").text
        // The timestamps are taken microseconds apart; everything else must match byte for byte.
        let timestamp = #/"ts":"[^"]*",/#
        #expect(direct.replacing(timestamp, with: "") == throughSwiftLog.replacing(timestamp, with: ""))
        #expect(direct.contains(#""msg":"request","bytes":"#))
    }

    @Test func accessLineKeepsMicrosecondsAndLabelsUnmatchedRoutes() throws {
        let completed = CompletedRequest(requestID: "r1", method: "POST", route: nil, status: 404,
                                         durationSeconds: 0.0123456, bytesSent: 9, completed: true)
        let text = Responder.accessLine(completed, label: "ragd.http").text
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["duration_ms"] as? Double == 12.346)
        #expect(object["route"] as? String == "unmatched")
        #expect(object["status"] as? Int == 404)
        #expect(object["logger"] as? String == "ragd.http")
    }

    @Test func onlyAPlainJSONHandlerGetsTheDirectLine() {
        #expect(JSONLogHandler.writesPlainLines(for: Logger(label: "ragd.http") { JSONLogHandler(label: $0) }))
        var tagged = Logger(label: "ragd.http") { JSONLogHandler(label: $0) }
        tagged[metadataKey: "worker"] = "3"
        #expect(!JSONLogHandler.writesPlainLines(for: tagged))
        #expect(!JSONLogHandler.writesPlainLines(for: recordingLogger(Recorder<LoggedRecord>())))
    }
}
