import Foundation
import RagdCore
import RagdPostgres
import RagdStore
import RagdText
import Testing

/// The store's side of batched, overlapped ingests (issue 11) against a real PostgreSQL:
/// document frequencies stay exact under concurrent ingests and deletes now that ragd
/// upserts them itself (migration 7), the wait inside `markReady` holds no lock another
/// ingest of the tenant needs, a batch becomes ready whole or not at all, and a batch of
/// jobs is claimed from one tenant only.
@Suite(.serialized)
final class IngestThroughputTests {
    static let owner = "throughput-tests/1/1"

    /// A fresh migrated database for this suite, dropped with it.
    let fixture: MigratedStore
    var database: TestDatabase { fixture.database }
    var store: DocumentStore { fixture.store }

    init() throws { fixture = try MigratedStore() }

    static let vocabulary = "valve pump pressure seal gasket flow turbine rotor bearing shaft coupling motor drain inlet outlet"
        .split(separator: " ").map(String.init)

    /// A pending document of `chunks` chunks of words drawn from the shared vocabulary
    /// (so concurrent ingests share terms), and its terms.
    static func pending(_ store: DocumentStore, tenant: String, chunks count: Int, seed: Int) throws -> (id: String, terms: DocumentTerms) {
        var rng = seed
        func next() -> Int { rng = (rng &* 1103515245 &+ 12345) & 0x7fffffff; return rng }
        let chunks = (0..<count).map { ordinal in
            NewChunk(id: Identifier.uuid(), ordinal: ordinal,
                     text: (0..<12).map { _ in vocabulary[next() % vocabulary.count] }.joined(separator: " ") + " doc\(seed)")
        }
        let document = NewDocument(id: Identifier.uuid(), tenant: tenant, title: "t", source: nil, contentType: "text/plain",
                                   sha256: Identifier.uuid(), metadataJSON: "{}", byteSize: 1)
        #expect(try store.insertPending(document, chunks: chunks, owner: owner, leaseSeconds: 60))
        // A title shared by every document and one of its own, so that the document-level
        // frequencies are shared between concurrent ingests too.
        return (document.id, DocumentTerms(chunks: chunks.map { chunk in
            let (counts, length) = SearchTokenizer.termFrequencies(chunk.text)
            return ChunkTerms(chunkID: chunk.id, counts: counts, length: length)
        }, title: TermCounts(counts: ["manual": 1, "title\(seed)": 1], length: 2)))
    }

    /// Terms whose stored df differs from a recount of the postings (rows at 0 count as absent).
    static func dfMismatches(_ connection: PostgresConnection, tenant: String) throws -> [String] {
        try connection.query("""
            SELECT coalesce(k.term, c.term) FROM (SELECT term, df FROM keyword_terms WHERE tenant = $1 AND df <> 0) k
            FULL JOIN (SELECT term, count(*) AS n FROM chunk_terms WHERE tenant = $1 GROUP BY term) c ON c.term = k.term
            WHERE k.df IS DISTINCT FROM c.n
            """, [tenant]).rows.map { $0[0] ?? "" } + connection.query("""
            SELECT 'document-level ' || coalesce(k.term, d.term)
            FROM (SELECT term, title_df, section_df FROM keyword_terms WHERE tenant = $1 AND section_df <> 0) k
            FULL JOIN (SELECT term, count(*) FILTER (WHERE title_tf > 0) AS titles, count(*) AS sections
                       FROM document_terms WHERE tenant = $1 GROUP BY term) d ON d.term = k.term
            WHERE k.title_df IS DISTINCT FROM d.titles OR k.section_df IS DISTINCT FROM d.sections
            """, [tenant]).rows.map { $0[0] ?? "" }
    }

    @Test func documentFrequenciesStayExactUnderConcurrentIngestsAndDeletes() throws {
        let tenant = "df"
        let url = database.url
        let failures = ResultsBox(Array(repeating: nil, count: 4))
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            do {
                let connection = try PostgresConnection(url: url)
                defer { connection.close() }
                let store = DocumentStore(connection: connection)
                var kept: [String] = []
                for round in 0..<12 {
                    // Alternately one document and a batch of three; every third round
                    // deletes an earlier document again.
                    let documents = try (0..<(round % 2 == 0 ? 1 : 3)).map { part in
                        try Self.pending(store, tenant: tenant, chunks: 4, seed: worker * 1000 + round * 10 + part)
                    }
                    guard try store.markReady(documents, tenant: tenant, owner: Self.owner, keywordVersion: SearchTokenizer.version) else {
                        throw TestError("markReady refused")
                    }
                    kept += documents.map(\.id)
                    if round % 3 == 2 { try store.deleteDocument(id: kept.removeFirst(), tenant: tenant) }
                }
                failures.set(worker, .success([]))
            } catch {
                failures.set(worker, .failure(error))
            }
        }
        for case .failure(let error) in failures.values { Issue.record(error) }
        #expect(try Self.dfMismatches(store.connection, tenant: tenant) == [])
        let ready = try store.connection.query("SELECT count(*) FROM documents WHERE tenant = $1 AND status = 'ready'", [tenant])[0, 0]
        // Per worker: 6 rounds of one document and 6 of three, 4 deleted again.
        let expected: Int = 4 * (6 + 18 - 4)
        #expect(ready == String(expected))
    }

    /// An ingest waiting for Milvus inside `markReady` has written its postings but holds
    /// no `keyword_terms` row: another ingest of the tenant with the same terms publishes
    /// meanwhile instead of queueing behind it.
    @Test func theWaitInsideMarkReadyBlocksNoOtherIngestOfTheTenant() throws {
        let tenant = "overlap"
        let first = try Self.pending(store, tenant: tenant, chunks: 3, seed: 1)
        let otherConnection = try PostgresConnection(url: database.url)
        defer { otherConnection.close() }
        let other = DocumentStore(connection: otherConnection)
        let second = try Self.pending(other, tenant: tenant, chunks: 3, seed: 2)
        let secondDone = DispatchSemaphore(value: 0)
        let secondResult = ResultsBox([nil])
        var postingsDuringWait = -1
        let published = try store.markReady([first], tenant: tenant, owner: Self.owner, keywordVersion: SearchTokenizer.version) {
            postingsDuringWait = Int(try store.connection.query("SELECT count(*) FROM chunk_terms WHERE document_id = $1::uuid",
                                                                [first.id])[0, 0] ?? "") ?? -1
            Thread.detachNewThread {
                do {
                    let ok = try other.markReady([second], tenant: tenant, owner: Self.owner, keywordVersion: SearchTokenizer.version)
                    secondResult.set(0, .success(ok ? [1] : [0]))
                } catch {
                    secondResult.set(0, .failure(error))
                }
                secondDone.signal()
            }
            // Blocked on a lock of ours, it would never finish while we wait here.
            #expect(secondDone.wait(timeout: .now() + 20) == .success, "the second ingest waited for the first one's transaction")
        }
        #expect(published)
        #expect(postingsDuringWait > 0, "the postings are written before the wait")
        if case .success(let value)? = secondResult.values[0] { #expect(value == [1]) } else { Issue.record("second: \(secondResult.values)") }
        #expect(try Self.dfMismatches(store.connection, tenant: tenant) == [])
    }

    @Test func aBatchBecomesReadyWholeOrNotAtAll() throws {
        struct MilvusDown: Error {}
        let tenant = "batch"
        let documents = try (0..<3).map { try Self.pending(store, tenant: tenant, chunks: 2, seed: 10 + $0) }
        #expect(throws: MilvusDown.self) {
            try self.store.markReady(documents, tenant: tenant, owner: Self.owner, keywordVersion: SearchTokenizer.version) {
                throw MilvusDown()
            }
        }
        func count(_ sql: String) throws -> Int { Int(try store.connection.query(sql, [tenant])[0, 0] ?? "") ?? -1 }
        #expect(try count("SELECT count(*) FROM documents WHERE tenant = $1 AND status = 'ready'") == 0)
        #expect(try count("SELECT count(*) FROM documents WHERE tenant = $1 AND status = 'pending'") == 3)
        #expect(try count("SELECT count(*) FROM chunk_terms WHERE tenant = $1") == 0)
        #expect(try count("SELECT count(*) FROM keyword_terms WHERE tenant = $1 AND df <> 0") == 0)

        // One document of the batch lost its lease (taken over): none is published.
        try store.connection.query("UPDATE documents SET lease_owner = 'someone/2/2' WHERE id = $1::uuid", [documents[1].id])
        #expect(try store.markReady(documents, tenant: tenant, owner: Self.owner, keywordVersion: SearchTokenizer.version) == false)
        #expect(try count("SELECT count(*) FROM documents WHERE tenant = $1 AND status = 'ready'") == 0)
        #expect(try count("SELECT count(*) FROM chunk_terms WHERE tenant = $1") == 0)

        try store.connection.query("UPDATE documents SET lease_owner = $2 WHERE id = $1::uuid", [documents[1].id, Self.owner])
        #expect(try store.markReady(documents, tenant: tenant, owner: Self.owner, keywordVersion: SearchTokenizer.version))
        #expect(try count("SELECT count(*) FROM documents WHERE tenant = $1 AND status = 'ready'") == 3)
        #expect(try Self.dfMismatches(store.connection, tenant: tenant) == [])
        let stats = try store.connection.query("SELECT chunks FROM keyword_stats WHERE tenant = $1", [tenant])[0, 0]
        #expect(stats == "6")
    }

    /// A ragd of the release before migration 7 (a rolling upgrade) inserts postings
    /// without counting them itself: the trigger still does.
    @Test func postingsOfAnOlderReleaseAreStillCountedByTheTrigger() throws {
        let tenant = "older"
        let chunk = Identifier.uuid()
        try store.connection.query("""
            INSERT INTO chunk_terms (tenant, term, chunk_id, document_id, tf, chunk_length, impact)
            VALUES ($1, 'valv', $2::uuid, $2::uuid, 1, 1, 1), ($1, 'pump', $2::uuid, $2::uuid, 1, 1, 1)
            """, [tenant, chunk])
        #expect(try Self.dfMismatches(store.connection, tenant: tenant) == [])
        #expect(try store.connection.query("SELECT count(*) FROM keyword_terms WHERE tenant = $1", [tenant])[0, 0] == "2")
    }

    @Test func reindexingTermsKeepsDocumentFrequenciesExact() throws {
        let tenant = "reindex"
        let document = try Self.pending(store, tenant: tenant, chunks: 3, seed: 5)
        #expect(try store.markReady([document], tenant: tenant, owner: Self.owner, keywordVersion: 1))
        let other = try Self.pending(store, tenant: tenant, chunks: 3, seed: 6)
        #expect(try store.markReady([other], tenant: tenant, owner: Self.owner, keywordVersion: 1))
        let changed = document.terms.chunks.map { ChunkTerms(chunkID: $0.chunkID, counts: ["novel": 1, "valv": 2], length: 3) }
        #expect(try store.replaceTerms(documentID: document.id, tenant: tenant, terms: DocumentTerms(chunks: changed), keywordVersion: 2))
        #expect(try Self.dfMismatches(store.connection, tenant: tenant) == [])
        #expect(try store.connection.query("SELECT df FROM keyword_terms WHERE tenant = $1 AND term = 'novel'", [tenant])[0, 0] == "3")
    }

    @Test func aBatchOfJobsIsClaimedFromOneTenantOnce() throws {
        // One transaction each, so that they are queued in this order (now() differs).
        func queue(_ title: String, tenant: String = "a", collection: String = "c", bytes: Int = 10) throws {
            _ = try store.enqueueJob(NewJob(id: Identifier.uuid(), document: UploadedDocument(
                                         title: title, source: nil, contentType: "text/plain",
                                         text: String(repeating: "x", count: bytes), metadataJSON: "{}")),
                                     tenant: tenant, collection: collection)
        }
        try queue("a1")
        try queue("a2")
        try queue("b1", tenant: "b")
        try queue("a3")
        try queue("a-big", bytes: 5000)
        try queue("a4")
        try queue("a-other-collection", collection: "d")

        let first = try store.claimJobs(owner: Self.owner, leaseSeconds: 60, collection: "c", limit: 3, partnerMaxBytes: 1000)
        #expect(first.map(\.document.title) == ["a1", "a2", "a3"])
        // A concurrent runner skips the claimed rows; a big job joins no batch but leads its own.
        let otherConnection = try PostgresConnection(url: database.url)
        defer { otherConnection.close() }
        let second = try DocumentStore(connection: otherConnection)
            .claimJobs(owner: "other/2/2", leaseSeconds: 60, collection: "c", limit: 8, partnerMaxBytes: 1000)
        #expect(second.map(\.document.title) == ["b1"])
        let third = try store.claimJobs(owner: Self.owner, leaseSeconds: 60, collection: "c", limit: 8, partnerMaxBytes: 1000)
        #expect(third.map(\.document.title) == ["a-big", "a4"])
        #expect(try store.claimJobs(owner: Self.owner, leaseSeconds: 60, collection: "c", limit: 8, partnerMaxBytes: 1000).isEmpty)
        let running = try store.connection.query(
            "SELECT count(*) FROM ingest_jobs WHERE collection = 'c' AND state = 'running' AND attempts = 1")[0, 0]
        #expect(running == "6")
    }
}
