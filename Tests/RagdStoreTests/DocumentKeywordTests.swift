import RagdCore
import RagdPostgres
import RagdStore
import RagdText
import Testing

/// The document-level rankings (migration 8): BM25 over titles and over whole sections,
/// with statistics over the tenant's documents, scoped to the tenant, and taken back
/// when a document goes.
@Suite(.serialized)
final class DocumentKeywordTests {
    static let owner = "document-keyword-tests/1/1"

    let fixture: MigratedStore
    var store: DocumentStore { fixture.store }

    init() throws { fixture = try MigratedStore() }

    /// Stores and publishes a document with its title and sections terms as the ingest
    /// builds them (title once plus every chunk); returns its id.
    @discardableResult
    func ingest(tenant: String, title: String, lines: [String]) throws -> String {
        let document = NewDocument(id: Identifier.uuid(), tenant: tenant, title: title, source: nil, contentType: "text/plain",
                                   sha256: Identifier.uuid(), metadataJSON: "{}", byteSize: 1)
        let chunks = lines.enumerated().map { NewChunk(id: Identifier.uuid(), ordinal: $0.offset, text: $0.element) }
        #expect(try store.insertPending(document, chunks: chunks, owner: Self.owner, leaseSeconds: 60))
        let titleTerms = SearchTokenizer.termFrequencies(title)
        let section = SearchTokenizer.termFrequencies(([title] + lines).joined(separator: "\n"))
        let terms = DocumentTerms(chunks: chunks.map { chunk in
            let (counts, length) = SearchTokenizer.termFrequencies(chunk.text)
            return ChunkTerms(chunkID: chunk.id, counts: counts, length: length)
        }, title: TermCounts(counts: titleTerms.counts, length: titleTerms.length),
           section: TermCounts(counts: section.counts, length: section.length))
        #expect(try store.markReady(id: document.id, tenant: tenant, owner: Self.owner, terms: terms, keywordVersion: SearchTokenizer.version))
        return document.id
    }

    /// Document ids by the textbook BM25 of `query` over `texts`, best first (ties by id).
    static func expectedRanking(_ texts: [String: String], query: String) -> [String] {
        KeywordIndexTests.expectedScores(corpus: texts, query: query)
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
    }

    let corpus: [(title: String, lines: [String])] = [
        ("Log rotation", ["Keep the files small.", "Run it every week."]),
        ("Backups", ["Rotate the log files before a backup.", "A log of every backup is kept; the log is rotated."]),
        ("Networking", ["ssh keys and firewalls"]),
        ("Rotating log files with logrotate", ["logrotate reads its configuration from /etc."]),
    ]

    @Test func titlesAndSectionsAreRankedByBM25OverDocuments() throws {
        var titles: [String: String] = [:], sections: [String: String] = [:]
        for document in corpus {
            let id = try ingest(tenant: "docs", title: document.title, lines: document.lines)
            titles[id] = document.title
            sections[id] = ([document.title] + document.lines).joined(separator: "\n")
        }
        let query = "how are log files rotated?"
        let found = try store.documentKeywordSearch(tenant: "docs", terms: SearchTokenizer.queryTerms(query), limit: 10, documentIDs: nil)
        #expect(found.byTitle == Self.expectedRanking(titles, query: query))
        #expect(found.bySection == Self.expectedRanking(sections, query: query))
        #expect(found.byTitle.count == 2)  // "Backups" and "Networking" have no query term in their titles
        #expect(found.bySection.count == 3)
        #expect(try store.documentKeywordSearch(tenant: "docs", terms: SearchTokenizer.queryTerms(query), limit: 1, documentIDs: nil)
                .bySection == [found.bySection[0]])
    }

    @Test func rankingsStayInTheTenantAndTheRestriction() throws {
        let mine = try ingest(tenant: "mine", title: "Backups", lines: ["Rotate the log files before a backup."])
        let other = try ingest(tenant: "mine", title: "Log rotation", lines: ["Keep the files small."])
        try ingest(tenant: "theirs", title: "Log rotation and backups", lines: ["log log log rotate backup"])
        let terms = SearchTokenizer.queryTerms("log rotation backups")
        let found = try store.documentKeywordSearch(tenant: "mine", terms: terms, limit: 10, documentIDs: nil)
        #expect(Set(found.byTitle) == [mine, other] && Set(found.bySection) == [mine, other])
        let restricted = try store.documentKeywordSearch(tenant: "mine", terms: terms, limit: 10, documentIDs: [mine])
        #expect(restricted.byTitle == [mine] && restricted.bySection == [mine])
        #expect(try store.documentKeywordSearch(tenant: "mine", terms: terms, limit: 10, documentIDs: []) == ([], []))
        #expect(try store.documentKeywordSearch(tenant: "nobody", terms: terms, limit: 10, documentIDs: nil) == ([], []))
    }

    @Test func deletingADocumentTakesBackItsTermsAndStatistics() throws {
        let kept = try ingest(tenant: "del", title: "Log rotation", lines: ["Keep the files small."])
        let gone = try ingest(tenant: "del", title: "Rotating logs", lines: ["logrotate reads /etc/logrotate.conf"])
        func row(_ sql: String) throws -> String? { try store.connection.query(sql, ["del"])[0, 0] }
        #expect(try row("SELECT documents FROM keyword_stats WHERE tenant = $1") == "2")
        let rotat = SearchTokenizer.queryTerms("rotation")[0]
        #expect(try store.connection.query("SELECT title_df, section_df FROM keyword_terms WHERE tenant = 'del' AND term = $1",
                                           [rotat]).rows.first == ["2", "2"])
        #expect(try store.deleteDocument(id: gone, tenant: "del"))
        #expect(try row("SELECT documents FROM keyword_stats WHERE tenant = $1") == "1")
        #expect(try store.connection.query("SELECT title_df, section_df FROM keyword_terms WHERE tenant = 'del' AND term = $1",
                                           [rotat]).rows.first == ["1", "1"])
        #expect(try store.connection.query("SELECT count(*) FROM document_terms WHERE document_id = $1::uuid", [gone])[0, 0] == "0")
        let found = try store.documentKeywordSearch(tenant: "del", terms: SearchTokenizer.queryTerms("rotating logs"), limit: 10,
                                                    documentIDs: nil)
        #expect(found.byTitle == [kept] && found.bySection == [kept])
        let sums = try store.connection.query("""
            SELECT s.title_terms = (SELECT sum(keyword_title_terms) FROM documents WHERE tenant = $1),
                   s.section_terms = (SELECT sum(keyword_section_terms) FROM documents WHERE tenant = $1)
            FROM keyword_stats s WHERE s.tenant = $1
            """, ["del"])
        #expect(sums.rows.first == ["t", "t"])
    }
}
