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

/// BM25 over `chunk_terms` (migration 3). The terms come from ragd's tokenizer, for
/// documents and queries alike; PostgreSQL only stores postings and adds up scores, so
/// nothing depends on the database's locale or text-search configuration.
///
/// score(chunk) = Σ over the query's terms t in the chunk of
///     idf(t) · tf · (k1 + 1) / (tf + k1 · (1 − b + b · length / average length))
/// with idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5)) (Lucene's, never negative), N and the
/// average length from the tenant's `keyword_stats`, df counted over the tenant's postings.
/// Any query term may match (OR); chunks matching more and rarer terms rank higher.
extension DocumentStore {
    /// Term-frequency saturation: how fast repeats of a term stop adding to the score.
    public static let bm25K1 = 1.2
    /// Length normalisation: 0 ignores the chunk's length, 1 divides by it fully.
    public static let bm25B = 0.75

    /// The best `limit` ready chunks of the tenant for `terms` (distinct query terms), as
    /// (chunk id, BM25 score), best first; ties by chunk id. `documentIDs` restricts the
    /// results (statistics stay the tenant's).
    public func keywordSearch(tenant: String, terms: [String], limit: Int, documentIDs: [String]?) throws -> [(chunkID: String, score: Double)] {
        guard !terms.isEmpty, limit > 0 else { return [] }
        if let documentIDs, documentIDs.isEmpty { return [] }
        let k1 = Self.bm25K1, b = Self.bm25B
        // The restriction is a semi-join against the unnested ids, so a long list costs
        // one hash, not a scan of the list per posting.
        let restriction = documentIDs == nil ? "" : "WHERE m.document_id IN (SELECT unnest($4::uuid[]))"
        var params: [String?] = [tenant, Self.textArray(terms), String(limit)]
        if let documentIDs { params.append(Self.uuidArray(documentIDs)) }
        let rows = try run("""
            WITH stats AS (
                SELECT chunks::float8 AS n, greatest(terms::float8 / greatest(chunks, 1), 1) AS average_length
                FROM keyword_stats WHERE tenant = $1
            ), matches AS (
                SELECT p.chunk_id, p.document_id, p.tf, p.chunk_length, count(*) OVER (PARTITION BY p.term) AS df
                FROM chunk_terms p WHERE p.tenant = $1 AND p.term = ANY ($2::text[])
            )
            SELECT m.chunk_id::text,
                   sum(ln(1 + (s.n - m.df + 0.5) / (m.df + 0.5))
                       * m.tf * \(k1 + 1) / (m.tf + \(k1) * (\(1 - b) + \(b) * m.chunk_length / s.average_length))) AS score
            FROM matches m CROSS JOIN stats s
            \(restriction)
            GROUP BY m.chunk_id
            ORDER BY score DESC, m.chunk_id
            LIMIT $3::integer
            """, params).rows
        return rows.map { (chunkID: $0[0] ?? "", score: Double($0[1] ?? "") ?? 0) }
    }

    /// Replaces a ready document's terms (reindex after a tokenizer change), in one
    /// transaction. False when the document is not ready in this tenant (deleted meanwhile).
    @discardableResult
    public func replaceTerms(documentID: String, tenant: String, terms: [ChunkTerms], keywordVersion: Int) throws -> Bool {
        try transaction {
            let updated = try run("""
                UPDATE documents SET keyword_version = $3::integer, keyword_terms = $4::bigint
                WHERE id = $1::uuid AND tenant = $2 AND status = 'ready'
                """, [documentID, tenant, String(keywordVersion), String(terms.reduce(0) { $0 + $1.length })])
            guard updated.affectedRows == 1 else { return false }
            try run("DELETE FROM chunk_terms WHERE document_id = $1::uuid AND tenant = $2", [documentID, tenant])
            try insertTerms(documentID: documentID, tenant: tenant, terms)
            return true
        }
    }

    /// Ready documents whose terms were built by another tokenizer version (or never).
    public func documentsNeedingKeywordIndex(version: Int, limit: Int) throws -> [(id: String, tenant: String)] {
        try run("""
            SELECT id::text, tenant FROM documents WHERE status = 'ready' AND keyword_version <> $1::integer
            ORDER BY created_at, id LIMIT $2::integer
            """, [String(version), String(limit)]).rows.map { (id: $0[0] ?? "", tenant: $0[1] ?? "") }
    }

    /// How many ready documents are missing from the keyword index at `version`.
    public func countDocumentsNeedingKeywordIndex(version: Int) throws -> Int {
        Int(try run("SELECT count(*) FROM documents WHERE status = 'ready' AND keyword_version <> $1::integer",
                    [String(version)]).rows.first?[0] ?? "0") ?? 0
    }

    /// One statement for all postings of a document: parallel arrays unnested server-side.
    func insertTerms(documentID: String, tenant: String, _ terms: [ChunkTerms]) throws {
        var termColumn: [String] = [], chunkColumn: [String] = [], tfColumn: [String] = [], lengthColumn: [String] = []
        for chunk in terms where chunk.length > 0 {
            for (term, count) in chunk.counts.sorted(by: { $0.key < $1.key }) {
                termColumn.append(term)
                chunkColumn.append(chunk.chunkID)
                tfColumn.append(String(count))
                lengthColumn.append(String(chunk.length))
            }
        }
        guard !termColumn.isEmpty else { return }
        try run("""
            INSERT INTO chunk_terms (tenant, term, chunk_id, document_id, tf, chunk_length)
            SELECT $1, t.term, t.chunk_id, $2::uuid, t.tf, t.chunk_length
            FROM unnest($3::text[], $4::uuid[], $5::integer[], $6::integer[]) AS t (term, chunk_id, tf, chunk_length)
            """, [tenant, documentID, Self.textArray(termColumn), Self.uuidArray(chunkColumn),
                  "{" + tfColumn.joined(separator: ",") + "}", "{" + lengthColumn.joined(separator: ",") + "}"])
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
