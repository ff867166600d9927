import Foundation
import RagdTesting
import Testing

/// Every 5xx leaves one `error` line naming its request id, the dependency and the
/// library's own error text, which the client never sees.
@Suite struct FaultLogTests {
    @Test func anUnreachableDatabaseIsLoggedWithItsCauseAndRequestID() throws {
        // A port nothing listens on: every PostgreSQL connection is refused.
        let server = try LiveServer(["DATABASE_URL": "postgres://ragd:secret-pw@127.0.0.1:\(try TestSupport.freePort())/ragdb",
                                     "MIGRATE_ON_START": "false"])
        defer { server.stop() }
        try server.start()
        let token = try server.token(tenant: "faultlog")
        let answer = try server.requestJSON("POST", "/v1/search", token: token, ["query": "pumps"])
        #expect(answer.status == 503, "\(answer.status) \(answer.body)")
        #expect(answer.json?["dependency"] as? String == "database")
        #expect(!answer.body.contains("refused"), "the library's text stays out of the response")
        let requestID = try #require(answer.headers["x-request-id"])

        var line: [String: Any]?
        #expect(eventually(timeout: 10) {
            line = server.ragd?.logLines.first { $0["msg"] as? String == "request failed" && $0["request_id"] as? String == requestID }
            return line != nil
        }, "no fault line for \(requestID):\n\(server.ragd?.log ?? "")")
        #expect(line?["level"] as? String == "error")
        #expect(line?["route"] as? String == "/v1/search")
        #expect(line?["status"] as? String == "503" || line?["status"] as? Int == 503)
        #expect(line?["dependency"] as? String == "database")
        let cause = line?["cause"] as? String ?? ""
        #expect(cause.contains("PostgreSQL") && cause.lowercased().contains("refused"), "cause: \(cause)")
        let leaks = (server.ragd?.log ?? "").split(separator: "\n").filter { $0.contains("secret-pw") }
        #expect(leaks.isEmpty, "the password in the log: \(leaks)")
    }
}
