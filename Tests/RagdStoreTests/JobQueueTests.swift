import Foundation
import RagdCore
import RagdPostgres
import RagdStore
import Testing

/// The batch side of the job queue against a real PostgreSQL: several jobs go in one
/// transaction or not at all, and reading them back is scoped to the tenant.
@Suite(.serialized)
final class JobQueueTests {
    /// A fresh migrated database for this suite, dropped with it.
    let fixture: MigratedStore
    var database: TestDatabase { fixture.database }
    var store: DocumentStore { fixture.store }

    init() throws { fixture = try MigratedStore() }

    static func job(_ id: String = Identifier.uuid(), title: String) -> NewJob {
        NewJob(id: id, document: UploadedDocument(title: title, source: title + ".md", contentType: "text/markdown",
                                                  text: "text of " + title, metadataJSON: "{\"batch\": 1}"))
    }

    func count(_ tenant: String) throws -> Int {
        Int(try store.connection.query("SELECT count(*) FROM ingest_jobs WHERE tenant = $1", [tenant])[0, 0] ?? "") ?? -1
    }

    @Test func aBatchIsQueuedWholeInOrder() throws {
        let jobs = try store.enqueueJobs([Self.job(title: "a"), Self.job(title: "b"), Self.job(title: "c")], tenant: "t1",
                                         collection: "c1")
        #expect(jobs.map(\.title) == ["a", "b", "c"])
        #expect(jobs.allSatisfy { $0.state == "queued" && $0.tenant == "t1" })
        #expect(try count("t1") == 3)
    }

    @Test func aFailingInsertLeavesNoJobOfTheBatch() throws {
        // The third job reuses the first one's id: its insert fails inside the transaction.
        let id = Identifier.uuid()
        #expect(throws: (any Error).self) {
            try store.enqueueJobs([Self.job(id, title: "a"), Self.job(title: "b"), Self.job(id, title: "c")], tenant: "t2",
                                  collection: "c1")
        }
        #expect(try count("t2") == 0, "all or nothing")
        // The connection is usable afterwards (the transaction was rolled back, not left open).
        #expect(try store.enqueueJobs([Self.job(title: "d")], tenant: "t2", collection: "c1").count == 1)
        #expect(try count("t2") == 1)
    }

    @Test func jobsAreReadBackOnlyForTheirTenantInTheOrderAsked() throws {
        let mine = try store.enqueueJobs([Self.job(title: "a"), Self.job(title: "b")], tenant: "t3", collection: "c1")
        let theirs = try store.enqueueJobs([Self.job(title: "x")], tenant: "t4", collection: "c1")
        let asked = [mine[1].id, theirs[0].id, Identifier.uuid(), mine[0].id]
        #expect(try store.jobs(ids: asked, tenant: "t3").map(\.title) == ["b", "a"])
        #expect(try store.jobs(ids: asked, tenant: "t4").map(\.title) == ["x"])
        #expect(try store.jobs(ids: [], tenant: "t3").isEmpty)
    }
}
