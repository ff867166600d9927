import RagdHTTP

/// `GET /openapi.json`: the API contract (OpenAPI 3.1), kept in
/// `Sources/RagdApp/Resources/openapi.json` and compiled into the binary, so every
/// server describes exactly its own version. A test holds it to the router's routes.
enum OpenAPIRoutes {
    static func register(on router: inout Router) {
        let document = PackageResources.openapi_json
        router.get("/openapi.json") { _ in
            var headers = HTTPHeaders()
            headers.add("Content-Type", "application/json")
            headers.add("Cache-Control", "public, max-age=300")
            return Response(status: 200, headers: headers, body: .bytes(document))
        }
    }
}
