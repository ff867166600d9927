import RagdCore
import RagdPipeline
import RagdPostgres
import RagdStore
import RagdText
import Testing

/// A database written by a release before the BM25 index (migrations 1-2, PostgreSQL
/// full text) is upgraded: migration 3, then `ragd reindex --keyword-only`.
@Suite(.serialized)
struct KeywordMigrationTests {
    @Test func existingDocumentsAreIndexedByTheKeywordReindex() throws {
        let database = try TestDatabase()
        defer { database.drop() }
        let connection = try PostgresConnection(url: database.url)
        defer { connection.close() }
        #expect(try Migrations.run(on: connection, through: 2) == [1, 2])
        // A ready document as the old release stored it.
        let documentID = Identifier.uuid(), chunkIDs = [Identifier.uuid(), Identifier.uuid()]
        try connection.query("""
            INSERT INTO documents (id, tenant, title, content_type, sha256, status, chunk_count)
            VALUES ($1::uuid, 'old', 'Old manual', 'text/plain', 'abc', 'ready', 2)
            """, [documentID])
        try connection.query("INSERT INTO chunks (id, document_id, tenant, ordinal, text) VALUES ($1::uuid, $2::uuid, 'old', 0, $3)",
                             [chunkIDs[0], documentID, "Rotate the log files every week with logrotate."])
        try connection.query("INSERT INTO chunks (id, document_id, tenant, ordinal, text) VALUES ($1::uuid, $2::uuid, 'old', 1, $3)",
                             [chunkIDs[1], documentID, "用 logrotate 每周轮换日志文件。"])

        #expect(try Migrations.run(on: connection, through: 5) == [3, 4, 5])
        try Migrations.run(on: connection) // and what came after, which this store reads
        let store = DocumentStore(connection: connection)
        // Until the reindex, the document is readable but not in the keyword index.
        #expect(try store.document(id: documentID, tenant: "old") != nil)
        #expect(try store.countDocumentsNeedingKeywordIndex(version: SearchTokenizer.version) == 1)
        #expect(try store.keywordSearch(tenant: "old", terms: SearchTokenizer.queryTerms("rotating logs"), limit: 5, documentIDs: nil).isEmpty)

        var progress: [(Int, Int)] = []
        let result = try KeywordReindexer(store: store).run { progress.append(($0, $1)) }
        #expect(result.documents == 1 && result.chunks == 2)
        #expect(progress.count == 1)
        #expect(try store.countDocumentsNeedingKeywordIndex(version: SearchTokenizer.version) == 0)
        #expect(try store.keywordSearch(tenant: "old", terms: SearchTokenizer.queryTerms("rotating logs"), limit: 5, documentIDs: nil)
                .first?.chunkID == chunkIDs[0])
        #expect(try store.keywordSearch(tenant: "old", terms: SearchTokenizer.queryTerms("轮换日志"), limit: 5, documentIDs: nil)
                .first?.chunkID == chunkIDs[1])
        #expect(try connection.query("SELECT chunks FROM keyword_stats WHERE tenant = 'old'")[0, 0] == "2")
        // The document-level terms too (migration 8): its title ranks it.
        #expect(try store.documentKeywordSearch(tenant: "old", terms: SearchTokenizer.queryTerms("manuals"), limit: 5, documentIDs: nil)
                .byTitle == [documentID])
        #expect(try connection.query("SELECT documents FROM keyword_stats WHERE tenant = 'old'")[0, 0] == "1")

        // Running it again finds nothing to do and changes nothing.
        #expect(try KeywordReindexer(store: store).run().documents == 0)
        #expect(try connection.query("SELECT chunks FROM keyword_stats WHERE tenant = 'old'")[0, 0] == "2")
    }
}
