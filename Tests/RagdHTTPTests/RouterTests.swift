import RagdHTTP
import Testing

@Suite("Router")
struct RouterTests {
    /// The shape of the real API: literals, a parameter, a literal sibling of the
    /// parameter, several methods on one template, and two parameters in one template.
    static func apiRouter() -> Router {
        var router = Router()
        router.get("/", answer("root"))
        router.get("/healthz", answer("healthz"))
        router.get("/v1/documents/{id}", answer("get-document"))
        router.delete("/v1/documents/{id}", answer("delete-document"))
        router.post("/v1/documents/search", answer("search"))
        router.post("/v1/documents", answer("create-document"))
        router.get("/v1/documents", answer("list-documents"))
        router.get("/v1/collections/{collection}/documents/{id}", answer("collection-document"))
        return router
    }

    // MARK: Literal routes

    @Test func literalRoutesMatchExactly() throws {
        let router = Self.apiRouter()
        let healthz = router.match(method: "GET", path: "/healthz")
        #expect(healthz.foundTemplate == "/healthz")
        #expect(healthz.foundParameters == [:])
        #expect(try bodyOf(healthz.foundHandler) == "healthz")

        let root = router.match(method: "GET", path: "/")
        #expect(root.foundTemplate == "/")
        #expect(try bodyOf(root.foundHandler) == "root")

        let list = router.match(method: "GET", path: "/v1/documents")
        #expect(list.foundTemplate == "/v1/documents")
        #expect(try bodyOf(list.foundHandler) == "list-documents")
    }

    @Test func methodPicksTheHandlerOnOneTemplate() throws {
        let router = Self.apiRouter()
        #expect(try bodyOf(router.match(method: "POST", path: "/v1/documents").foundHandler) == "create-document")
        #expect(try bodyOf(router.match(method: "GET", path: "/v1/documents").foundHandler) == "list-documents")
        #expect(try bodyOf(router.match(method: "DELETE", path: "/v1/documents/7").foundHandler) == "delete-document")
    }

    @Test func methodIsCaseInsensitive() {
        let router = Self.apiRouter()
        #expect(router.match(method: "get", path: "/healthz").foundTemplate == "/healthz")
        var lower = Router()
        lower.add("post", "/x", answer("x"))
        #expect(lower.match(method: "POST", path: "/x").foundTemplate == "/x")
    }

    @Test func literalSegmentsAreCaseSensitive() {
        #expect(Self.apiRouter().match(method: "GET", path: "/Healthz").isNotFound)
    }

    // MARK: Templates and parameters

    @Test func parameterCapturesOneSegment() {
        let match = Self.apiRouter().match(method: "GET", path: "/v1/documents/doc-42")
        #expect(match.foundTemplate == "/v1/documents/{id}")
        #expect(match.foundParameters == ["id": "doc-42"])
    }

    @Test(arguments: [
        ("a%20b", "a b"),
        ("a%2Fb", "a/b"),          // an encoded slash stays inside the one segment
        ("a%2fb", "a/b"),          // lower-case hex too
        ("%E6%97%A5%E6%9C%AC", "日本"),
        ("a+b", "a+b"),            // `+` is only a space in query strings, not in paths
        ("100%", "100%"),          // a malformed escape is kept, never an error
        ("a%zzb", "a%zzb"),
        ("a%2", "a%2"),
        ("%25", "%"),
    ])
    func parameterIsPercentDecoded(raw: String, decoded: String) {
        let match = Self.apiRouter().match(method: "GET", path: "/v1/documents/" + raw)
        #expect(match.foundTemplate == "/v1/documents/{id}")
        #expect(match.foundParameters == ["id": decoded])
    }

    @Test func twoParametersInOneTemplate() {
        let match = Self.apiRouter().match(method: "GET", path: "/v1/collections/c%201/documents/d%2F2")
        #expect(match.foundTemplate == "/v1/collections/{collection}/documents/{id}")
        #expect(match.foundParameters == ["collection": "c 1", "id": "d/2"])
    }

    @Test func emptyParameterSegmentDoesNotMatch() {
        let router = Self.apiRouter()
        #expect(router.match(method: "GET", path: "/v1/documents/").isNotFound)
        #expect(router.match(method: "GET", path: "/v1/collections//documents/1").isNotFound)
    }

    // MARK: Literal beats parameter

    @Test func literalBeatsParameterWhicheverIsRegisteredFirst() throws {
        var parameterFirst = Router()
        parameterFirst.post("/v1/documents/{id}", answer("by-id"))
        parameterFirst.post("/v1/documents/search", answer("search"))
        var literalFirst = Router()
        literalFirst.post("/v1/documents/search", answer("search"))
        literalFirst.post("/v1/documents/{id}", answer("by-id"))

        for router in [parameterFirst, literalFirst] {
            let search = router.match(method: "POST", path: "/v1/documents/search")
            #expect(search.foundTemplate == "/v1/documents/search")
            #expect(search.foundParameters == [:])
            #expect(try bodyOf(search.foundHandler) == "search")

            let other = router.match(method: "POST", path: "/v1/documents/searches")
            #expect(other.foundTemplate == "/v1/documents/{id}")
            #expect(other.foundParameters == ["id": "searches"])
        }
    }

    /// The literal path is its own resource: a GET on it is a 405 listing what the literal
    /// route allows, not a document lookup for id `search`.
    @Test func literalRouteWinsEvenWhenOnlyTheParameterRouteHasTheMethod() {
        let match = Self.apiRouter().match(method: "GET", path: "/v1/documents/search")
        #expect(match.methodNotAllowed?.template == "/v1/documents/search")
        #expect(match.methodNotAllowed?.allowed == ["POST"])
    }

    @Test func encodedLiteralIsAParameterValue() {
        // Literals are compared with the raw path, so `searc%68` is the document id "search".
        let match = Self.apiRouter().match(method: "GET", path: "/v1/documents/searc%68")
        #expect(match.foundTemplate == "/v1/documents/{id}")
        #expect(match.foundParameters == ["id": "search"])
    }

    // MARK: 404

    @Test(arguments: [
        "/nope",
        "/healthz/",                  // trailing slash is a different path
        "/v1/documents/",             // trailing slash on a literal route, also the empty {id}
        "/v1/documents/abc/",         // trailing slash after a parameter
        "/v1",                        // too few segments
        "/v1/documents/abc/extra",    // too many segments
        "/v1/documents/a/b",          // an unencoded slash is two segments
        "/v1/collections/c/documents",
        "//healthz",
    ])
    func unknownPathsAreNotFound(path: String) {
        #expect(Self.apiRouter().match(method: "GET", path: path).isNotFound)
    }

    @Test func emptyRouterFindsNothing() {
        #expect(Router().match(method: "GET", path: "/").isNotFound)
        #expect(Router().match(method: "GET", path: "/x").isNotFound)
    }

    // MARK: 405 and HEAD

    @Test func wrongMethodIsMethodNotAllowedWithSortedAllowList() {
        var router = Router()
        router.post("/v1/things/{id}", answer("post"))
        router.get("/v1/things/{id}", answer("get"))
        router.add("PUT", "/v1/things/{id}", answer("put"))
        router.delete("/v1/things/{id}", answer("delete"))

        let match = router.match(method: "PATCH", path: "/v1/things/1")
        #expect(match.methodNotAllowed?.template == "/v1/things/{id}")
        // HEAD is allowed because GET is (HEAD falls back to GET).
        #expect(match.methodNotAllowed?.allowed == ["DELETE", "GET", "HEAD", "POST", "PUT"])
    }

    @Test func allowListHasNoHeadWithoutGet() {
        let match = Self.apiRouter().match(method: "GET", path: "/v1/documents/search")
        #expect(match.methodNotAllowed?.allowed == ["POST"])
        let head = Self.apiRouter().match(method: "HEAD", path: "/v1/documents/search")
        #expect(head.methodNotAllowed?.allowed == ["POST"])
    }

    @Test func headFallsBackToGet() throws {
        let match = Self.apiRouter().match(method: "HEAD", path: "/v1/documents/abc")
        #expect(match.foundTemplate == "/v1/documents/{id}")
        #expect(match.foundParameters == ["id": "abc"])
        #expect(try bodyOf(match.foundHandler) == "get-document")
    }

    @Test func explicitHeadHandlerBeatsGet() throws {
        var router = Router()
        router.get("/x", answer("get"))
        router.add("HEAD", "/x", answer("head"))
        #expect(try bodyOf(router.match(method: "HEAD", path: "/x").foundHandler) == "head")
        #expect(try bodyOf(router.match(method: "GET", path: "/x").foundHandler) == "get")
    }
}
