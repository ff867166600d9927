import Foundation
import RagdCore
import RagdPostgres
import RagdStore
import RagdText
import Testing

/// BM25 in PostgreSQL against the formula computed here, tenant isolation of the postings
/// and statistics, and independence from the database's locale.
@Suite(.serialized)
final class KeywordIndexTests {
    static let owner = "keyword-tests/1/1"

    /// A fresh migrated database for this suite, dropped with it.
    let fixture: MigratedStore
    var database: TestDatabase { fixture.database }
    var store: DocumentStore { fixture.store }

    init() throws { fixture = try MigratedStore() }

    /// Stores and publishes a document of one chunk per line; returns its chunk ids.
    @discardableResult
    static func ingest(_ store: DocumentStore, tenant: String, lines: [String], ids: [String]? = nil, ready: Bool = true) throws -> [String] {
        let documentID = Identifier.uuid()
        let chunks = lines.enumerated().map { NewChunk(id: ids?[$0.offset] ?? Identifier.uuid(), ordinal: $0.offset, text: $0.element) }
        let document = NewDocument(id: documentID, tenant: tenant, title: "t", source: nil, contentType: "text/plain",
                                   sha256: Identifier.uuid(), metadataJSON: "{}", byteSize: 1)
        #expect(try store.insertPending(document, chunks: chunks, owner: Self.owner, leaseSeconds: 60))
        if ready {
            #expect(try store.markReady(id: documentID, tenant: tenant, owner: Self.owner, terms: DocumentTerms(chunks: chunks.map(Self.terms)), keywordVersion: SearchTokenizer.version))
        }
        return chunks.map(\.id)
    }

    static func terms(_ chunk: NewChunk) -> ChunkTerms {
        let (counts, length) = SearchTokenizer.termFrequencies(chunk.text)
        return ChunkTerms(chunkID: chunk.id, counts: counts, length: length)
    }

    func search(_ tenant: String, _ query: String, limit: Int = 10, documentIDs: [String]? = nil) throws -> [(chunkID: String, documentID: String, score: Double)] {
        try store.keywordSearch(tenant: tenant, terms: SearchTokenizer.queryTerms(query), limit: limit, documentIDs: documentIDs)
    }

    /// The textbook formula over the given chunk texts, for comparison with the SQL.
    static func expectedScores(corpus: [String: String], query: String) -> [String: Double] {
        let documents = corpus.mapValues { SearchTokenizer.termFrequencies($0) }
        let n = Double(documents.count)
        let average = Double(documents.values.reduce(0) { $0 + $1.length }) / n
        var scores: [String: Double] = [:]
        for term in SearchTokenizer.queryTerms(query) {
            let df = Double(documents.values.filter { $0.counts[term] != nil }.count)
            guard df > 0 else { continue }
            let idf = log(1 + (n - df + 0.5) / (df + 0.5))
            for (id, document) in documents {
                guard let tf = document.counts[term].map(Double.init) else { continue }
                let norm = 1 - DocumentStore.bm25B + DocumentStore.bm25B * Double(document.length) / average
                scores[id, default: 0] += idf * tf * (DocumentStore.bm25K1 + 1) / (tf + DocumentStore.bm25K1 * norm)
            }
        }
        return scores
    }

    @Test func scoresAreBM25OverAnyOfTheQueryTerms() throws {
        let lines = [
            "PostgreSQL streaming replication sends the write-ahead log to standby servers.",
            "Take a base backup of the cluster before enabling archiving.",
            "Replication slots keep the log until every standby has received it; replication lag grows otherwise.",
            "The planner chooses indexes by estimated cost.",
            "A very long chunk about backups: backup, backup, backup, and then more words about nothing in particular at all, padding padding padding padding.",
        ]
        let ids = try Self.ingest(store, tenant: "bm25", lines: lines)
        let corpus = Dictionary(uniqueKeysWithValues: zip(ids, lines))
        let query = "how does replication of backups work?"
        let found = try search("bm25", query)
        let expected = Self.expectedScores(corpus: corpus, query: query)
        // OR: chunks with either term are found, none other.
        #expect(Set(found.map(\.chunkID)) == Set(expected.keys))
        #expect(found.count == 4)
        for hit in found {
            #expect(abs(hit.score - expected[hit.chunkID]!) < 1e-9, "chunk \(corpus[hit.chunkID]!)")
        }
        #expect(found.map(\.score) == found.map(\.score).sorted(by: >))
        // Saturation: three "backup"s score more than one, but less than three times as much.
        let long = found.first { $0.chunkID == ids[4] }!.score, short = found.first { $0.chunkID == ids[1] }!.score
        #expect(long > short && long < 3 * short)
        // Nothing matches: nothing found; no terms at all: no query.
        #expect(try search("bm25", "zebra").isEmpty)
        #expect(try search("bm25", "the and of").isEmpty)
        // A restriction to documents.
        #expect(try search("bm25", query, documentIDs: []).isEmpty)
    }

    @Test func chineseIsFoundByBigrams() throws {
        let ids = try Self.ingest(store, tenant: "zh", lines: [
            "使用 apt-get 安装软件包之前，先更新软件包列表。",
            "系统启动时，引导程序加载内核。",
            "网络配置文件位于 /etc/network/interfaces。",
        ])
        // A paraphrase sharing only some bigrams still finds the right chunk first.
        #expect(try search("zh", "怎样安装新的软件包？").first?.chunkID == ids[0])
        #expect(try search("zh", "内核是谁加载的").first?.chunkID == ids[1])
        #expect(try search("zh", "网络的配置").first?.chunkID == ids[2])
    }

    @Test func anotherTenantsPostingsAndStatisticsChangeNothing() throws {
        let mine = try Self.ingest(store, tenant: "iso-a", lines: ["shared term apples", "apples and pears", "only pears here"])
        let before = try search("iso-a", "apples pears")
        // Tenant B gets many chunks with the same terms (which would change df and N if
        // statistics leaked) and one with a unique word.
        for _ in 0..<5 { try Self.ingest(store, tenant: "iso-b", lines: ["apples apples", "pears", "apples pears", "secretword"]) }
        let after = try search("iso-a", "apples pears")
        #expect(after.map(\.chunkID) == before.map(\.chunkID))
        #expect(zip(after, before).allSatisfy { $0.score == $1.score })
        #expect(Set(after.map(\.chunkID)).isSubset(of: Set(mine)))
        #expect(try search("iso-a", "secretword").isEmpty)
        #expect(try store.connection.query("SELECT df FROM keyword_terms WHERE tenant = 'iso-a' AND term = 'appl'")[0, 0] == "2")
        #expect(try store.connection.query("SELECT df FROM keyword_terms WHERE tenant = 'iso-b' AND term = 'appl'")[0, 0] == "10")
        #expect(try search("iso-b", "secretword").count == 5)
    }

    @Test func onlyReadyDocumentsAreIndexedAndStatisticsFollowThem() throws {
        func stats() throws -> [String?] {
            try store.connection.query("SELECT chunks, terms FROM keyword_stats WHERE tenant = 'st'").rows.first ?? [nil, nil]
        }
        let pending = try Self.ingest(store, tenant: "st", lines: ["pending words here"], ready: false)
        #expect(try search("st", "pending words").isEmpty)
        #expect(try store.connection.query("SELECT count(*) FROM chunk_terms WHERE tenant = 'st'")[0, 0] == "0")
        let ready = try Self.ingest(store, tenant: "st", lines: ["ready words", "more ready words"])
        #expect(try stats() == ["2", "4"]) // "more" is a stop word
        func df(_ term: String) throws -> String? {
            try store.connection.query("SELECT df FROM keyword_terms WHERE tenant = 'st' AND term = $1", [term]).rows.first?[0]
        }
        #expect(try df("word") == "2" && df("readi") == "2")
        #expect(try df("pend") == nil, "a pending document's terms are not counted")
        #expect(try search("st", "words").map(\.chunkID).allSatisfy { ready.contains($0) && !pending.contains($0) })
        let documentID = try #require(try store.connection.query("SELECT document_id::text FROM chunks WHERE id = $1::uuid", [ready[0]])[0, 0])
        #expect(try store.deleteDocument(id: documentID, tenant: "st"))
        #expect(try stats() == ["0", "0"])
        #expect(try df("word") == "0")
        #expect(try store.connection.query("SELECT count(*) FROM chunk_terms WHERE tenant = 'st'")[0, 0] == "0")
        #expect(try search("st", "words").isEmpty)
    }

    /// The local stack's `initdb --no-locale` made `company’` one word; ragd's terms do not
    /// depend on the database, so a C-locale and a UTF-8-locale database agree exactly.
    @Test func aCLocaleDatabaseGivesTheSameResultsAsAUTF8One() throws {
        let lines = [
            "The company’s revenue grew—fast, «Zorblat» said.",
            "全文检索不依赖数据库的区域设置。",
            "ＦＵＬＬ－ＷＩＤＴＨ letters and café au lait",
            "Mixed 中文 and English text, naïve résumé.",
        ]
        let ids = lines.map { _ in Identifier.uuid() }
        let queries = ["company fast zorblat", "区域设置", "full width cafe café", "中文 english resume résumé"]
        var results: [[[String]]] = []
        for locale in ["C", "C.UTF-8"] {
            let database = try TestDatabase(locale: locale)
            defer { database.drop() }
            let connection = try PostgresConnection(url: database.url)
            defer { connection.close() }
            #expect(try connection.query("SHOW lc_ctype")[0, 0] == locale)
            try Migrations.run(on: connection)
            let store = DocumentStore(connection: connection)
            try Self.ingest(store, tenant: "loc", lines: lines, ids: ids)
            results.append(try queries.map { query in
                try store.keywordSearch(tenant: "loc", terms: SearchTokenizer.queryTerms(query), limit: 10, documentIDs: nil)
                    .map { "\($0.chunkID) \($0.score)" }
            })
        }
        #expect(results[0] == results[1])
        #expect(results[0][0].first?.hasPrefix(ids[0]) == true, "company, fast and Zorblat are words")
        #expect(results[0][1].first?.hasPrefix(ids[1]) == true)
        #expect(results[0][2].first?.hasPrefix(ids[2]) == true)
    }
}
