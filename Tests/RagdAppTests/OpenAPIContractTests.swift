import Foundation
import RagdConfig
import RagdHTTP
import RagdPool
import Testing

@testable import RagdApp

/// The API contract (`/openapi.json`) and the router must list the same operations: a
/// route added without its description, or a description left behind, fails here.
@Suite struct OpenAPIContractTests {
    static func router(testRoutes: Bool = false) throws -> Router {
        var environment = [
            "SECRET_KEY": String(repeating: "k", count: 40), "DATABASE_URL": "postgresql://ragd@127.0.0.1:1/ragd",
            "REDIS_URL": "redis://127.0.0.1:1/0", "ENV_FILE": "",
        ]
        if testRoutes { environment["ENABLE_TEST_ROUTES"] = "true"; environment["ENVIRONMENT"] = "development" }
        let settings = try Settings.load(environment: environment)
        return RagdApplication.makeRouter(settings: settings, pool: NoPool(), api: try APIContext(settings: settings))
    }

    static func specification() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(PackageResources.openapi_json)) as? [String: Any])
    }

    /// "METHOD template" for every operation of `spec`.
    static func documentedOperations(_ spec: [String: Any]) -> Set<String> {
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        let paths = spec["paths"] as? [String: [String: Any]] ?? [:]
        return Set(paths.flatMap { path, item in item.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" } })
    }

    static func routedOperations(_ router: Router) -> Set<String> {
        Set(router.routeTable.map { "\($0.method) \($0.template)" })
    }

    /// What one side has and the other lacks, for a readable failure.
    static func differences(routed: Set<String>, documented: Set<String>) -> [String] {
        routed.subtracting(documented).sorted().map { "routed but not documented: \($0)" }
            + documented.subtracting(routed).sorted().map { "documented but not routed: \($0)" }
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() throws {
        let problems = Self.differences(routed: Self.routedOperations(try Self.router()),
                                        documented: Self.documentedOperations(try Self.specification()))
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func theComparisonCatchesAMissingOrAStaleDescription() throws {
        var spec = try Self.specification()
        var paths = try #require(spec["paths"] as? [String: Any])
        paths.removeValue(forKey: "/v1/search")
        paths["/v1/gone"] = ["get": ["responses": [:]]]
        spec["paths"] = paths
        let problems = Self.differences(routed: Self.routedOperations(try Self.router()),
                                        documented: Self.documentedOperations(spec))
        #expect(problems == ["routed but not documented: POST /v1/search", "documented but not routed: GET /v1/gone"])
    }

    /// Test-only routes are not part of the contract; the comparison notices them.
    @Test func testRoutesAreOutsideTheContract() throws {
        let extra = Self.routedOperations(try Self.router(testRoutes: true))
            .subtracting(Self.documentedOperations(try Self.specification()))
        #expect(!extra.isEmpty && extra.allSatisfy { $0.contains(" /_test/") })
    }

    @Test func everyOperationHasAnIdSecurityAndAResponseForEachDeclaredError() throws {
        let spec = try Self.specification()
        #expect(spec["openapi"] as? String == "3.1.0")
        let paths = try #require(spec["paths"] as? [String: [String: Any]])
        var ids: [String] = []
        for (path, item) in paths {
            for (method, value) in item {
                let operation = try #require(value as? [String: Any], "\(method) \(path)")
                ids.append(try #require(operation["operationId"] as? String, "\(method) \(path) has no operationId"))
                let security = try #require(operation["security"] as? [[String: [String]]], "\(method) \(path) declares no security")
                let responses = try #require(operation["responses"] as? [String: Any])
                if path.hasPrefix("/v1/") {
                    #expect(security.first?["bearerAuth"]?.isEmpty == false, "\(method) \(path) names no scope")
                    for status in ["401", "429", "502", "503"] {
                        #expect(responses[status] != nil, "\(method) \(path) lacks \(status)")
                    }
                } else {
                    #expect(security.isEmpty, "\(method) \(path) is public")
                }
            }
        }
        #expect(Set(ids).count == ids.count, "operationIds repeat")
    }

    /// The OpenAI-compatible routes document OpenAI's error shape; the others problem+json.
    @Test func errorResponsesUseTheShapeOfTheirRoute() throws {
        let spec = try Self.specification()
        let paths = try #require(spec["paths"] as? [String: [String: [String: Any]]])
        for (path, item) in paths {
            let openAI = ChatCompletionRoutes.templates.contains(path)
            for (method, operation) in item {
                let responses = operation["responses"] as? [String: [String: Any]] ?? [:]
                for (status, response) in responses where status.hasPrefix("4") || status.hasPrefix("5") {
                    let reference = response["$ref"] as? String ?? ""
                    let expected = openAI ? "#/components/responses/OpenAIError" : "#/components/responses/Problem"
                    #expect(reference.hasPrefix(expected) || (path == "/health/ready" && status == "503"),
                            "\(method) \(path) \(status): \(reference)")
                }
            }
        }
    }
}
