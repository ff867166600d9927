import Foundation
import RagdCore
import RagdMilvus
import RagdPostgres
import RagdTesting
import Testing

/// The fault drill of issue 11: clients ingest concurrently while workers are killed with
/// SIGKILL. Afterwards no document is left pending, PostgreSQL's chunks and Milvus' vectors
/// match one to one, and every request that failed succeeded when sent again at once
/// (the retry reclaims the dead worker's pending document instead of a 409).
@Suite(.serialized)
struct IngestFaultDrillTests {
    static let clients = 4
    static let documentsPerClient = 25
    static let kills = 6

    /// The worker processes of a master (its children).
    static func workers(of master: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && fields[0] != "Z" && Int32(fields[1]) == master
        }
    }

    @Test func killedWorkersLeaveNothingPendingAndRetriesSucceed() throws {
        let collection = "ragd_drill_" + Identifier.uuid().replacingOccurrences(of: "-", with: "").prefix(10)
        let server = try LiveServer(["MILVUS_COLLECTION": collection, "WORKERS": "3", "THREADS": "2", "CHUNK_SIZE": "200",
                                     "CHUNK_OVERLAP": "0"])
        defer {
            server.stop()
            _ = try? IngestFailureTests.milvus().drop(collection: collection)
        }
        try server.start()
        let master = try #require(server.ragd?.pid)
        #expect(eventually(timeout: 20) { Self.workers(of: master).count == 3 })
        let tenant = "drill" + Identifier.uuid().prefix(8)
        let token = try server.token(tenant: tenant)

        // Each client ingests its documents one after another; a failed request (the
        // worker died under it: 502, or the connection broke) is sent again at once, and
        // again if the retry's worker was killed too (at most three retries).
        let outcomes = (0..<Self.clients).map { client in
            Thread.detachedResult { () -> [(first: Int, retry: Int?)] in
                try (0..<Self.documentsPerClient).map { number in
                    let text = (0..<6).map { "Client \(client) document \(number) paragraph \($0) about pump \(client)-\(number)." }
                        .joined(separator: "\n\n")
                    let body: [String: Any] = ["title": "drill \(client)-\(number)", "text": text]
                    let first = try server.requestJSON("POST", "/v1/documents", token: token, body).status
                    guard first != 201 && first != 200 else { return (first, nil) }
                    var retry = 0
                    for _ in 0..<3 {
                        retry = try server.requestJSON("POST", "/v1/documents", token: token, body).status
                        if retry != 502 && retry != 0 { break }
                    }
                    return (first, retry)
                }
            }
        }
        // The killer: SIGKILL a worker, wait until the master has replaced it, pause a
        // little so the new worker takes requests, and again.
        var killed = 0
        while killed < Self.kills {
            Thread.sleep(forTimeInterval: 0.8) // pacing of the drill, not a wait for a condition
            guard let victim = Self.workers(of: master).randomElement() else { continue }
            kill(victim, SIGKILL)
            killed += 1
            #expect(eventually(timeout: 20) { let now = Self.workers(of: master); return now.count == 3 && !now.contains(victim) })
        }
        let results = try outcomes.flatMap { try $0.value() }
        let failed = results.filter { $0.retry != nil }
        #expect(results.count == Self.clients * Self.documentsPerClient)
        #expect(results.allSatisfy { [200, 201].contains($0.retry ?? $0.first) },
                "every document was stored, at once or on its retry (never a 409): \(failed)")
        print("fault drill: \(results.count) documents, \(killed) workers killed, \(failed.count) requests failed and were retried: \(failed.map { "\($0.first)->\($0.retry ?? 0)" })")

        let database = try PostgresConnection(url: server.environment["DATABASE_URL"]!)
        defer { database.close() }
        func count(_ sql: String) throws -> Int { Int(try database.query(sql, [tenant])[0, 0] ?? "") ?? -1 }
        // Workers that died mid-ingest left pending documents; the janitors (or the
        // retries) remove them within seconds.
        #expect(eventually(timeout: 30) {
            (try? count("SELECT count(*) FROM documents WHERE tenant = $1 AND status = 'pending'")) == 0
        }, "documents left pending")
        #expect(try count("SELECT count(*) FROM documents WHERE tenant = $1 AND status = 'ready'") == results.count)
        let chunks = try count("SELECT count(*) FROM chunks WHERE tenant = $1")
        #expect(try count("SELECT coalesce(sum(chunk_count), 0) FROM documents WHERE tenant = $1") == chunks)
        #expect(eventually(timeout: 30) {
            (try? IngestFailureTests.milvus().count(collection: collection, tenant: tenant)) == chunks
        }, "Milvus holds exactly one vector per chunk: \(chunks) chunks")
    }
}
