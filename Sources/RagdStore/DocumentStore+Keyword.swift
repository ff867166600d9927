import RagdPostgres

/// The terms of one chunk for the keyword index: each distinct term with its count, and
/// the chunk's length in terms.
public struct ChunkTerms: Sendable, Equatable {
    public var chunkID: String
    public var counts: [String: Int]
    public var length: Int

    public init(chunkID: String, counts: [String: Int], length: Int) {
        self.chunkID = chunkID
        self.counts = counts
        self.length = length
    }
}

/// Terms with their counts, and the length in terms of the text they came from.
public struct TermCounts: Sendable, Equatable {
    public var counts: [String: Int]
    public var length: Int

    public init(counts: [String: Int] = [:], length: Int = 0) {
        self.counts = counts
        self.length = length
    }
}

/// Everything the keyword index keeps of one document: its chunks' terms, and for the
/// document-level rankings the terms of its title and of its whole section (the title
/// once plus every chunk's text).
public struct DocumentTerms: Sendable, Equatable {
    public var chunks: [ChunkTerms]
    public var title: TermCounts
    public var section: TermCounts

    /// `section` defaults to the chunks' terms added up (a document whose title is not
    /// indexed apart from them).
    public init(chunks: [ChunkTerms], title: TermCounts = TermCounts(), section: TermCounts? = nil) {
        self.chunks = chunks
        self.title = title
        self.section = section ?? chunks.reduce(into: TermCounts()) { sum, chunk in
            sum.counts.merge(chunk.counts, uniquingKeysWith: +)
            sum.length += chunk.length
        }
    }
}

/// BM25 over `chunk_terms` (migration 3). The terms come from ragd's tokenizer, for
/// documents and queries alike; PostgreSQL only stores postings and adds up scores, so
/// nothing depends on the database's locale or text-search configuration.
///
/// score(chunk) = Σ over the query's terms t in the chunk of
///     idf(t) · tf · (k1 + 1) / (tf + k1 · (1 − b + b · length / average length))
/// with idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5)) (Lucene's, never negative), N and the
/// average length from the tenant's `keyword_stats`, df from its `keyword_terms`. Any
/// query term may match (OR); chunks matching more and rarer terms rank higher.
///
/// Two steps keep a query's cost bounded whatever the corpus size: candidates are
/// gathered from the best postings of each term (by `impact`, the term's BM25 weight in
/// the chunk without the IDF; `postingsPerQuery` shared among the terms), then the best
/// `rescored` candidates get their exact score from all their query terms. Only a term
/// found in more chunks than it may read is cut short, and such a term has a small IDF,
/// so a chunk that belongs among the first results is rarely missed (the evaluation in
/// bench/README.md measures the leg against an exact BM25). The rescoring looks rows up
/// by chunk id alone: candidates are the tenant's already, and chunk ids are unique
/// across tenants.
extension DocumentStore {
    /// Term-frequency saturation: how fast repeats of a term stop adding to the score.
    public static let bm25K1 = 1.2
    /// Length normalisation: 0 ignores the chunk's length, 1 divides by it fully.
    public static let bm25B = 0.75
    /// Postings read for a whole query, shared among its terms (each reads at least
    /// `postingsPerTermRange.lowerBound` and at most its upper bound), best impact first.
    /// A Chinese question of 15 characters is about 30 terms (characters and bigrams), so
    /// the lower bound keeps such a query within the budget.
    public static let postingsPerQuery = 6000
    public static let postingsPerTermRange = 100...1000
    /// Candidates whose exact score is computed (at least the limit asked for), and the
    /// most (candidate, term) probes that rescoring may make: a long query rescores fewer
    /// candidates, so its cost stays bounded.
    public static let rescored = 100
    public static let rescoringProbes = 3000

    /// The part of BM25 after the IDF, as SQL over the given float8 expressions for the
    /// term frequency, the chunk's length and the average length.
    static func termWeightSQL(tf: String, length: String, average: String) -> String {
        "\(tf) * \(bm25K1 + 1)::float8 / (\(tf) + \(bm25K1)::float8 * (\(1 - bm25B)::float8 + \(bm25B)::float8 * \(length) / \(average)))"
    }

    /// The best `limit` ready chunks of the tenant for `terms` (distinct query terms), as
    /// (chunk id, BM25 score), best first; ties by chunk id. `documentIDs` restricts the
    /// results (statistics stay the tenant's).
    public func keywordSearch(tenant: String, terms: [String], limit: Int,
                              documentIDs: [String]?) throws -> [(chunkID: String, documentID: String, score: Double)] {
        guard !terms.isEmpty, limit > 0 else { return [] }
        if let documentIDs, documentIDs.isEmpty { return [] }
        // The restriction is a semi-join against the unnested ids, so a long list costs
        // one hash, not a scan of the list per posting.
        let restriction = documentIDs == nil ? "" : "AND p.document_id IN (SELECT unnest($6::uuid[]))"
        let perTerm = min(max(Self.postingsPerQuery / terms.count, Self.postingsPerTermRange.lowerBound),
                          Self.postingsPerTermRange.upperBound)
        var params: [String?] = [tenant, Self.textArray(terms), String(limit), String(perTerm), String(max(min(Self.rescored, Self.rescoringProbes / terms.count), limit))]
        if let documentIDs { params.append(Self.uuidArray(documentIDs)) }
        let rows = try run("""
            WITH stats AS (
                SELECT chunks::float8 AS n, greatest(terms::float8 / greatest(chunks, 1), 1) AS avg
                FROM keyword_stats WHERE tenant = $1
            ), query AS (
                SELECT k.term, ln(1 + (s.n - k.df + 0.5) / (k.df + 0.5)) AS idf
                FROM keyword_terms k CROSS JOIN stats s
                WHERE k.tenant = $1 AND k.term = ANY ($2::text[]) AND k.df > 0
            ), candidates AS MATERIALIZED (
                -- Materialized: inlined, the planner may run it once per query term.
                SELECT p.chunk_id, p.document_id, sum(q.idf * \(Self.termWeightSQL(tf: "p.tf", length: "p.len", average: "s.avg"))) AS partial
                FROM query q CROSS JOIN stats s CROSS JOIN LATERAL (
                    SELECT p.chunk_id, p.document_id, p.tf::float8 AS tf, p.chunk_length::float8 AS len
                    FROM chunk_terms p
                    WHERE p.tenant = $1 AND p.term = q.term \(restriction)
                    ORDER BY p.impact DESC LIMIT $4::integer
                ) p
                GROUP BY p.chunk_id, p.document_id
                ORDER BY partial DESC, p.chunk_id LIMIT $5::integer
            )
            SELECT c.chunk_id::text, c.document_id::text, sum(q.idf * \(Self.termWeightSQL(tf: "p.tf", length: "p.len", average: "s.avg"))) AS score
            FROM candidates c CROSS JOIN query q CROSS JOIN stats s
            CROSS JOIN LATERAL (
                -- One probe of the unique (chunk, term) index per pair; LIMIT keeps the
                -- planner from reading every term of the candidates instead.
                SELECT p.tf::float8 AS tf, p.chunk_length::float8 AS len FROM chunk_terms p
                WHERE p.chunk_id = c.chunk_id AND p.term = q.term
                LIMIT 1
            ) p
            GROUP BY c.chunk_id, c.document_id
            ORDER BY score DESC, c.chunk_id
            LIMIT $3::integer
            """, params).rows
        return rows.map { (chunkID: $0[0] ?? "", documentID: $0[1] ?? "", score: Double($0[2] ?? "") ?? 0) }
    }

    /// The tenant's documents ranked by BM25 over their titles and, apart, over their
    /// whole sections (migration 8), each the best `limit`, best first (ties by id), for
    /// `terms` (distinct query terms). Statistics are over documents: N the tenant's
    /// documents with such terms, df the documents whose title (section) has the term.
    /// Each term reads at most its best postings by impact, as the chunk leg does; a
    /// document's score is exact over the terms whose cut it made. `documentIDs`
    /// restricts the results (statistics stay the tenant's).
    public func documentKeywordSearch(tenant: String, terms: [String], limit: Int,
                                      documentIDs: [String]?) throws -> (byTitle: [String], bySection: [String]) {
        guard !terms.isEmpty, limit > 0 else { return ([], []) }
        if let documentIDs, documentIDs.isEmpty { return ([], []) }
        let restriction = documentIDs == nil ? "" : "AND p.document_id IN (SELECT unnest($5::uuid[]))"
        let perTerm = min(max(Self.postingsPerQuery / terms.count, Self.postingsPerTermRange.lowerBound),
                          Self.postingsPerTermRange.upperBound)
        var params: [String?] = [tenant, Self.textArray(terms), String(limit), String(perTerm)]
        if let documentIDs { params.append(Self.uuidArray(documentIDs)) }
        func ranking(_ field: String, filter: String) -> String {
            """
            SELECT p.document_id, sum(q.\(field)_idf * \(Self.termWeightSQL(tf: "p.tf", length: "p.len", average: "s.\(field)_avg"))) AS score
            FROM query q CROSS JOIN stats s CROSS JOIN LATERAL (
                SELECT p.document_id, p.\(field)_tf::float8 AS tf, p.\(field)_length::float8 AS len
                FROM document_terms p
                WHERE p.tenant = $1 AND p.term = q.term \(filter) \(restriction)
                ORDER BY p.\(field)_impact DESC LIMIT $4::integer
            ) p
            WHERE q.\(field)_df > 0
            GROUP BY p.document_id
            ORDER BY score DESC, p.document_id LIMIT $3::integer
            """
        }
        let rows = try run("""
            WITH stats AS (
                SELECT documents::float8 AS n,
                       greatest(title_terms::float8 / documents, 1) AS title_avg,
                       greatest(section_terms::float8 / documents, 1) AS section_avg
                FROM keyword_stats WHERE tenant = $1 AND documents > 0
            ), query AS (
                SELECT k.term, k.title_df, k.section_df,
                       ln(1 + (s.n - k.title_df + 0.5) / (k.title_df + 0.5)) AS title_idf,
                       ln(1 + (s.n - k.section_df + 0.5) / (k.section_df + 0.5)) AS section_idf
                FROM keyword_terms k CROSS JOIN stats s
                WHERE k.tenant = $1 AND k.term = ANY ($2::text[]) AND k.section_df > 0
            ), titles AS MATERIALIZED (
                \(ranking("title", filter: "AND p.title_tf > 0"))
            ), sections AS MATERIALIZED (
                \(ranking("section", filter: ""))
            )
            SELECT 'title', document_id::text, score FROM titles
            UNION ALL
            SELECT 'section', document_id::text, score FROM sections
            ORDER BY 1, 3 DESC, 2
            """, params).rows
        func ranked(_ leg: String) -> [String] { rows.filter { $0[0] == leg }.compactMap { $0[1] } }
        return (ranked("title"), ranked("section"))
    }

    /// Replaces a ready document's terms (reindex after a tokenizer change), in one
    /// transaction. False when the document is not ready in this tenant (deleted meanwhile).
    @discardableResult
    public func replaceTerms(documentID: String, tenant: String, terms: DocumentTerms, keywordVersion: Int) throws -> Bool {
        try transaction {
            let lengths = Self.indexedLengths(terms)
            let updated = try run("""
                UPDATE documents SET keyword_version = $3::integer, keyword_terms = $4::bigint,
                                     keyword_title_terms = $5::bigint, keyword_section_terms = $6::bigint
                WHERE id = $1::uuid AND tenant = $2 AND status = 'ready'
                """, [documentID, tenant, String(keywordVersion), String(lengths.chunks), String(lengths.title), String(lengths.section)])
            guard updated.affectedRows == 1 else { return false }
            try deleteTerms(documentID: documentID, tenant: tenant)
            try insertPostings([(documentID: documentID, terms: terms)], tenant: tenant)
            try addDocumentFrequencies([terms], tenant: tenant)
            return true
        }
    }

    /// What a document adds to its tenant's `keyword_stats`: the terms of its chunks, and
    /// of its title and section when it has document-level terms (a section without
    /// terms writes no rows, so it counts as none).
    static func indexedLengths(_ terms: DocumentTerms) -> (chunks: Int, title: Int, section: Int) {
        let chunks = terms.chunks.reduce(0) { $0 + $1.length }
        return terms.section.length > 0 ? (chunks, terms.title.length, terms.section.length) : (chunks, 0, 0)
    }

    /// Ready documents whose terms were built by another tokenizer version (or never).
    public func documentsNeedingKeywordIndex(version: Int, limit: Int) throws -> [(id: String, tenant: String, title: String)] {
        try run("""
            SELECT id::text, tenant, title FROM documents WHERE status = 'ready' AND keyword_version <> $1::integer
            ORDER BY created_at, id LIMIT $2::integer
            """, [String(version), String(limit)]).rows.map { (id: $0[0] ?? "", tenant: $0[1] ?? "", title: $0[2] ?? "") }
    }

    /// How many ready documents are missing from the keyword index at `version`.
    public func countDocumentsNeedingKeywordIndex(version: Int) throws -> Int {
        Int(try run("SELECT count(*) FROM documents WHERE status = 'ready' AND keyword_version <> $1::integer",
                    [String(version)]).rows.first?[0] ?? "0") ?? 0
    }

    /// One statement for all postings of the given documents: parallel arrays unnested
    /// server-side. Each posting's impact uses the tenant's average chunk length now
    /// (these documents' own for the tenant's first), which is what orders a term's
    /// postings for queries.
    ///
    /// The document frequencies are NOT counted here: the transaction tells the insert
    /// trigger that it upserts them itself (migration 7), and must call
    /// `addDocumentFrequencies` with the same terms before it commits.
    func insertPostings(_ documents: [(documentID: String, terms: DocumentTerms)], tenant: String) throws {
        var termColumn: [String] = [], chunkColumn: [String] = [], documentColumn: [String] = []
        var tfColumn: [String] = [], lengthColumn: [String] = []
        var chunks = 0, length = 0
        for document in documents {
            for chunk in document.terms.chunks where chunk.length > 0 {
                chunks += 1
                length += chunk.length
                for (term, count) in chunk.counts.sorted(by: { $0.key < $1.key }) {
                    termColumn.append(term)
                    chunkColumn.append(chunk.chunkID)
                    documentColumn.append(document.documentID)
                    tfColumn.append(String(count))
                    lengthColumn.append(String(chunk.length))
                }
            }
        }
        guard !termColumn.isEmpty else { return }
        try run("SELECT set_config('ragd.keyword_df', 'caller', true)", [])
        let impact = Self.termWeightSQL(tf: "t.tf::float8", length: "t.chunk_length::float8", average: "a.avg")
        try run("""
            WITH a AS (
                -- As the query computes it (at least 1: a tenant whose chunks all lack
                -- terms has 0), or these documents' own for the tenant's first.
                SELECT coalesce((SELECT CASE WHEN chunks > 0 THEN greatest(terms::float8 / chunks, 1) END
                                 FROM keyword_stats WHERE tenant = $1), $7::float8) AS avg
            )
            INSERT INTO chunk_terms (tenant, term, chunk_id, document_id, tf, chunk_length, impact)
            SELECT $1, t.term, t.chunk_id, t.document_id, t.tf, t.chunk_length, \(impact)
            FROM unnest($2::text[], $3::uuid[], $4::uuid[], $5::integer[], $6::integer[])
                 AS t (term, chunk_id, document_id, tf, chunk_length) CROSS JOIN a
            """, [tenant, Self.textArray(termColumn), Self.uuidArray(chunkColumn), Self.uuidArray(documentColumn),
                  "{" + tfColumn.joined(separator: ",") + "}", "{" + lengthColumn.joined(separator: ",") + "}",
                  String(max(Double(length) / Double(max(chunks, 1)), 1))])
        try insertDocumentPostings(documents, tenant: tenant)
    }

    /// The document-level rows of `insertPostings` (migration 8), in one statement; the
    /// impacts use the tenant's average title and section lengths now (these documents'
    /// own for the tenant's first).
    private func insertDocumentPostings(_ documents: [(documentID: String, terms: DocumentTerms)], tenant: String) throws {
        var termColumn: [String] = [], documentColumn: [String] = []
        var titleTF: [String] = [], sectionTF: [String] = [], titleLength: [String] = [], sectionLength: [String] = []
        var indexed = 0, titles = 0, sections = 0
        for document in documents where document.terms.section.length > 0 {
            let title = document.terms.title, section = document.terms.section
            indexed += 1
            titles += title.length
            sections += section.length
            for term in Set(section.counts.keys).union(title.counts.keys).sorted() {
                termColumn.append(term)
                documentColumn.append(document.documentID)
                titleTF.append(String(title.counts[term] ?? 0))
                sectionTF.append(String(max(section.counts[term] ?? 0, title.counts[term] ?? 0)))
                titleLength.append(String(title.length))
                sectionLength.append(String(section.length))
            }
        }
        guard !termColumn.isEmpty else { return }
        let titleImpact = Self.termWeightSQL(tf: "t.title_tf::float8", length: "t.title_length::float8", average: "a.title_avg")
        let sectionImpact = Self.termWeightSQL(tf: "t.section_tf::float8", length: "t.section_length::float8", average: "a.section_avg")
        func list(_ column: [String]) -> String { "{" + column.joined(separator: ",") + "}" }
        try run("""
            WITH s AS (SELECT documents, title_terms, section_terms FROM keyword_stats WHERE tenant = $1 AND documents > 0),
            a AS (
                SELECT coalesce((SELECT greatest(title_terms::float8 / documents, 1) FROM s), $8::float8) AS title_avg,
                       coalesce((SELECT greatest(section_terms::float8 / documents, 1) FROM s), $9::float8) AS section_avg
            )
            INSERT INTO document_terms (tenant, term, document_id, title_tf, section_tf, title_length, section_length,
                                        title_impact, section_impact)
            SELECT $1, t.term, t.document_id, t.title_tf, t.section_tf, t.title_length, t.section_length,
                   \(titleImpact), \(sectionImpact)
            FROM unnest($2::text[], $3::uuid[], $4::integer[], $5::integer[], $6::integer[], $7::integer[])
                 AS t (term, document_id, title_tf, section_tf, title_length, section_length) CROSS JOIN a
            """, [tenant, Self.textArray(termColumn), Self.uuidArray(documentColumn), list(titleTF), list(sectionTF),
                  list(titleLength), list(sectionLength),
                  String(max(Double(titles) / Double(indexed), 1)), String(max(Double(sections) / Double(indexed), 1))])
    }

    /// Adds the postings of `terms` (chunks just inserted by `insertPostings`) to the
    /// tenant's document frequencies: one upsert, rows in (tenant, term) order like the
    /// delete trigger's, so concurrent ingests that share terms wait for each other
    /// instead of deadlocking. Meant to be the last write before COMMIT: the row locks
    /// are shared with every ingest and delete of the tenant.
    func addDocumentFrequencies(_ documents: [DocumentTerms], tenant: String) throws {
        // Per term: chunks, titles and sections holding it.
        var df: [String: (chunks: Int, titles: Int, sections: Int)] = [:]
        for document in documents {
            for chunk in document.chunks where chunk.length > 0 {
                for term in chunk.counts.keys { df[term, default: (0, 0, 0)].chunks += 1 }
            }
            guard document.section.length > 0 else { continue }
            for term in Set(document.section.counts.keys).union(document.title.counts.keys) {
                df[term, default: (0, 0, 0)].sections += 1
            }
            for term in document.title.counts.keys { df[term, default: (0, 0, 0)].titles += 1 }
        }
        guard !df.isEmpty else { return }
        let sorted = df.sorted { $0.key < $1.key }
        func list(_ count: ((chunks: Int, titles: Int, sections: Int)) -> Int) -> String {
            "{" + sorted.map { String(count($0.value)) }.joined(separator: ",") + "}"
        }
        try run("""
            INSERT INTO keyword_terms AS k (tenant, term, df, title_df, section_df)
            SELECT $1, t.term, t.df, t.title_df, t.section_df
            FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) AS t (term, df, title_df, section_df) ORDER BY t.term
            ON CONFLICT (tenant, term) DO UPDATE
            SET df = k.df + EXCLUDED.df, title_df = k.title_df + EXCLUDED.title_df, section_df = k.section_df + EXCLUDED.section_df
            """, [tenant, Self.textArray(sorted.map(\.key)), list(\.chunks), list(\.titles), list(\.sections)])
    }

    /// Removes a document's postings, the chunks' and its own, one statement each, so
    /// the df triggers update each term once, in order.
    func deleteTerms(documentID: String, tenant: String) throws {
        try run("""
            DELETE FROM chunk_terms WHERE tenant = $2
              AND chunk_id IN (SELECT id FROM chunks WHERE document_id = $1::uuid AND tenant = $2)
            """, [documentID, tenant])
        try run("DELETE FROM document_terms WHERE document_id = $1::uuid AND tenant = $2", [documentID, tenant])
    }

    /// A PostgreSQL array literal of texts, every element quoted (so no character of a
    /// term can end an element); it travels as a parameter, never in the SQL text.
    static func textArray(_ items: [String]) -> String {
        var out = "{"
        for (index, item) in items.enumerated() {
            if index > 0 { out += "," }
            out += "\""
            for scalar in item.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { out += "\\" }
                out.unicodeScalars.append(scalar)
            }
            out += "\""
        }
        return out + "}"
    }
}
