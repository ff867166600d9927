import RagdHTTP
import Testing

@Suite("CORS policy and middlewares")
struct CORSPolicyTests {
    static let allowed = "https://app.example.com"

    static func responder(middlewares: [Middleware]? = nil) -> Responder {
        var router = Router()
        router.get("/v1/thing", answer("thing"))
        router.post("/v1/thing", answer("posted"))
        return Responder(router: router, middlewares: middlewares ?? [CORSPolicy(allowedOrigins: [allowed])])
    }

    static func request(_ method: String, _ path: String, _ headers: [(String, String)]) -> Request {
        var request = makeRequest(method, path)
        for (name, value) in headers { request.headers.add(name, value) }
        return request
    }

    static func respond(_ method: String, _ path: String, _ headers: [(String, String)],
                        responder: Responder = responder()) -> Response {
        var request = request(method, path, headers)
        return responder.respond(to: &request)
    }

    @Test func preflightFromAnAllowedOriginIsAnswered() {
        let response = Self.respond("OPTIONS", "/v1/thing", [
            ("Origin", Self.allowed), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "authorization, content-type"),
        ])
        #expect(response.status == 204)
        #expect(response.headers["Access-Control-Allow-Origin"] == Self.allowed)
        #expect(response.headers["Access-Control-Allow-Methods"]?.contains("POST") == true)
        #expect(response.headers["Access-Control-Allow-Headers"]?.contains("Authorization") == true)
        #expect(response.headers["Access-Control-Max-Age"] == "600")
        #expect(response.headers["Vary"]?.contains("Origin") == true)
        #expect(response.headers["X-Request-ID"] != nil)
    }

    @Test(arguments: [
        [("Origin", "https://evil.example.com"), ("Access-Control-Request-Method", "POST")],
        [("Origin", "https://app.example.com.evil.net"), ("Access-Control-Request-Method", "GET")],
        [("Origin", "http://app.example.com"), ("Access-Control-Request-Method", "GET")],
        [("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "PUT")],
        [("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "POST"),
         ("Access-Control-Request-Headers", "x-api-key")],
    ])
    func refusedPreflightsCarryNoCORSHeaders(_ headers: [(String, String)]) throws {
        let response = Self.respond("OPTIONS", "/v1/thing", headers)
        #expect(response.status == 403)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(!response.headers.contains(where: { $0.name.lowercased().hasPrefix("access-control-") }))
    }

    @Test func simpleRequestFromAnAllowedOriginExposesHeaders() {
        let response = Self.respond("GET", "/v1/thing", [("Origin", "HTTPS://APP.example.com")])
        #expect(response.status == 200)
        #expect(response.headers["Access-Control-Allow-Origin"] == "HTTPS://APP.example.com")
        #expect(response.headers["Access-Control-Expose-Headers"]?.contains("RateLimit-Remaining") == true)
        #expect(response.headers["Access-Control-Allow-Credentials"] == nil)
        #expect(response.headers["Vary"] == "Origin")
    }

    @Test func requestFromAnotherOriginIsServedWithoutCORSHeaders() {
        let response = Self.respond("POST", "/v1/thing", [("Origin", "https://evil.example.com")])
        #expect(response.status == 200)
        #expect(response.headers["Access-Control-Allow-Origin"] == nil)
        #expect(response.headers["Access-Control-Expose-Headers"] == nil)
    }

    @Test func noOriginNoCORS() {
        let response = Self.respond("GET", "/v1/thing", [])
        #expect(response.status == 200)
        #expect(response.headers["Vary"] == nil)
        #expect(response.headers["Access-Control-Allow-Origin"] == nil)
    }

    @Test func optionsWithoutPreflightHeadersIsRouted() {
        let response = Self.respond("OPTIONS", "/v1/thing", [("Origin", Self.allowed)])
        #expect(response.status == 405)
        #expect(response.headers["Access-Control-Allow-Origin"] == Self.allowed)
    }

    @Test func emptyAllowListAllowsNoOrigin() {
        let responder = Self.responder(middlewares: [CORSPolicy(allowedOrigins: [])])
        let response = Self.respond("OPTIONS", "/v1/thing", [("Origin", Self.allowed), ("Access-Control-Request-Method", "GET")],
                                    responder: responder)
        #expect(response.status == 403)
    }

    /// A problem thrown by an inner middleware (a rate-limit refusal) still gets the outer
    /// middleware's headers, so a page can read the 429.
    @Test func outerMiddlewareSeesAnInnerRefusal() {
        struct Refuse: Middleware {
            func respond(to request: inout Request, next: (inout Request) -> Response) throws -> Response {
                throw Problem(status: 429, code: "rate-limited", title: "Too Many Requests")
            }
        }
        let responder = Self.responder(middlewares: [CORSPolicy(allowedOrigins: [Self.allowed]), Refuse()])
        let response = Self.respond("GET", "/v1/thing", [("Origin", Self.allowed)], responder: responder)
        #expect(response.status == 429)
        #expect(response.headers["Access-Control-Allow-Origin"] == Self.allowed)
        #expect(response.headers["X-Request-ID"] != nil)
    }

    @Test func middlewaresRunInOrderAndSeeTheRoute() {
        struct Tag: Middleware {
            let name: String
            func respond(to request: inout Request, next: (inout Request) -> Response) throws -> Response {
                var response = next(&request)
                response.headers.add("X-Order", name + ":" + (request.route ?? "-"))
                return response
            }
        }
        let responder = Self.responder(middlewares: [Tag(name: "outer"), Tag(name: "inner")])
        let response = Self.respond("GET", "/v1/thing", [], responder: responder)
        #expect(response.headers.filter { $0.name == "X-Order" }.map(\.value) == ["inner:/v1/thing", "outer:/v1/thing"])
    }
}
