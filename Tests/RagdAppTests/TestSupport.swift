import Foundation
import RagdAuth
import RagdConfig
import RagdCore
import RagdHTTP
import RagdPool
import RagdTesting
import Testing

@testable import RagdApp

/// A pool for routes that never ask it: the in-process tests do not call `/status` or `/metrics`.
struct NoPool: PoolReporter {
    func status() -> PoolStatus { fatalError("not called: the pool pages are not tested in-process") }
    func metricsText() -> String { "" }
}

/// The application a worker serves, built in-process with `RagdApplication.responder`
/// (the same middlewares and routes), answering `Request`s without nginx or FastCGI.
///
/// The backends are the ones the environment names (`DATABASE_URL`, `REDIS_URL`,
/// `MILVUS_HOST`, `MILVUS_PORT`, `MILVUS_MANAGEMENT_PORT`, as the live tests read them);
/// without them, addresses where nothing listens, which the routes tested without
/// services never reach.
struct InProcessApp {
    static let secret = String(repeating: "k", count: 40)

    let settings: Settings
    let responder: Responder

    /// Whether the services' settings are in the environment (`scripts/stack.sh services`).
    static var servicesConfigured: Bool {
        ProcessInfo.processInfo.environment["DATABASE_URL"] != nil && ProcessInfo.processInfo.environment["MILVUS_HOST"] != nil
    }

    /// `servicesDown`: every backend at an address where nothing listens, whatever the
    /// environment says (what a worker sees while PostgreSQL, Redis and Milvus are down).
    /// `overrides`: more settings, applied last.
    init(servicesDown: Bool = false, overrides: [String: String] = [:]) throws {
        let process = servicesDown ? [:] : ProcessInfo.processInfo.environment
        var environment = [
            "SECRET_KEY": Self.secret, "ENV_FILE": "",
            "DATABASE_URL": process["DATABASE_URL"] ?? "postgresql://ragd@127.0.0.1:1/ragd",
            "REDIS_URL": process["REDIS_URL"] ?? "redis://127.0.0.1:1/0",
            // Every anonymous request here comes from one (empty) address: no budget of 100.
            "RATE_LIMIT_PER_MINUTE": "1000000",
        ]
        for name in ["MILVUS_HOST", "MILVUS_PORT", "MILVUS_MANAGEMENT_PORT"] {
            if let value = process[name] { environment[name] = value }
        }
        if servicesDown {
            environment["MILVUS_HOST"] = "127.0.0.1"
            environment["MILVUS_PORT"] = "1"
            environment["MILVUS_MANAGEMENT_PORT"] = "1"
        }
        environment.merge(overrides) { $1 }
        settings = try Settings.load(environment: environment)
        responder = RagdApplication.responder(settings: settings, pool: NoPool(), api: try APIContext(settings: settings))
    }

    /// A token of `tenant` with `scopes`, signed with the test secret.
    static func token(tenant: String = "inprocess", scopes: [String]) throws -> String {
        try TokenIssuer(secret: secret).mint(subject: "route-tests", tenant: tenant, scopes: scopes, ttl: 600)
    }

    /// Sends `method target` (`/path?query`) with `body`, as the transport would hand it over.
    func send(_ method: String, _ target: String, token: String? = nil, contentType: String? = nil,
              body: String = "") -> Response {
        var headers = HTTPHeaders()
        if let token { headers.add("Authorization", "Bearer " + token) }
        if let contentType { headers.add("Content-Type", contentType) }
        let parts = target.split(separator: "?", maxSplits: 1).map(String.init)
        var request = Request(method: method, path: parts[0], query: parts.count > 1 ? parts[1] : "", headers: headers,
                              body: Array(body.utf8), remoteAddress: "127.0.0.1", requestID: "req-" + Identifier.uuid())
        return responder.respond(to: &request)
    }

    /// `send` with a JSON body.
    func sendJSON(_ method: String, _ target: String, token: String?, _ json: String) -> Response {
        send(method, target, token: token, contentType: "application/json", body: json)
    }
}

extension Response {
    /// The whole body as text (a stream fails the test).
    func bodyText() throws -> String {
        guard case .bytes(let bytes) = body else { throw TestFailure("expected a whole body, got a stream") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The whole body parsed as a JSON object (a stream fails the test).
    func jsonObject() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(try bodyText().utf8)) as? [String: Any])
    }

    /// The `field` of the first entry of a problem's `errors`.
    func problemField() throws -> String? {
        ((try jsonObject()["errors"] as? [[String: Any]])?.first?["field"]) as? String
    }
}
