import RagdCore
import RagdPostgres

/// Documents and chunks in PostgreSQL. Every query is parameterized and every read and
/// write names the tenant, so one tenant's request can never reach another's rows.
/// Not thread-safe: one per serving thread, like its connection.
public final class DocumentStore {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    static let documentColumns = """
        id::text, tenant, title, source, content_type, sha256, metadata::text, status, chunk_count, byte_size,
        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), page_count
        """

    // MARK: ingest

    /// The document with this content in this tenant, in any state.
    public func document(tenant: String, sha256: String) throws -> DocumentRecord? {
        try run("SELECT \(Self.documentColumns) FROM documents WHERE tenant = $1 AND sha256 = $2", [tenant, sha256])
            .documents.first
    }

    /// Stores the document as `pending` (invisible) with its chunks, in one transaction.
    /// Returns false when a document with the same content already exists in the tenant
    /// (the unique index decides, so two concurrent uploads cannot both win).
    /// `owner` holds the document's lease for `leaseSeconds` (DocumentStore+Leases); its
    /// vectors go to Milvus `collection`.
    public func insertPending(_ document: NewDocument, chunks: [NewChunk], owner: String, leaseSeconds: Int,
                              collection: String? = nil) throws -> Bool {
        try transaction {
            let inserted = try run("""
                INSERT INTO documents (id, tenant, title, source, content_type, sha256, metadata, status, chunk_count, byte_size,
                                       lease_owner, lease_until, lease_collection, page_count)
                VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::jsonb, 'pending', $8::integer, $9::bigint,
                        $10, now() + make_interval(secs => $11::integer), $12, $13::integer)
                ON CONFLICT (tenant, sha256) DO NOTHING
                """, [document.id, document.tenant, document.title, document.source, document.contentType, document.sha256,
                      document.metadataJSON, String(chunks.count), String(document.byteSize), owner, String(leaseSeconds),
                      collection, document.pageCount.map(String.init)])
            guard inserted.affectedRows == 1 else { return false }
            try run("""
                INSERT INTO chunks (id, document_id, tenant, ordinal, text, page_start, page_end)
                SELECT (c->>'id')::uuid, $1::uuid, $2, (c->>'ordinal')::integer, c->>'text',
                       (c->>'page_start')::integer, (c->>'page_end')::integer
                FROM jsonb_array_elements($3::jsonb) AS c
                """, [document.id, document.tenant, Self.chunksJSON(chunks)])
            return true
        }
    }

    /// Makes a pending document visible, with its chunks' terms in the keyword index, in
    /// one transaction: a document is searchable by both legs or by neither. Only while
    /// `owner` still holds its lease: a document another worker took over is never
    /// published (false; nothing changes). See `markReady(_:tenant:owner:keywordVersion:whileWriting:)`.
    public func markReady(id: String, tenant: String, owner: String, terms: DocumentTerms, keywordVersion: Int,
                          whileWriting wait: () throws -> Void = {}) throws -> Bool {
        try markReady([(id: id, terms: terms)], tenant: tenant, owner: owner, keywordVersion: keywordVersion, whileWriting: wait)
    }

    /// Makes pending documents of the tenant visible together, with their chunks' terms in
    /// the keyword index, in one transaction: all of them, searchable by both legs, or
    /// none (false when `owner` no longer holds the lease of every one of them; nothing
    /// changes).
    ///
    /// The order inside the transaction lets the caller overlap its own wait with the
    /// writing: the documents are locked (a takeover waits, then finds them ready), their
    /// postings are inserted (new chunk ids: they conflict with nobody), then `wait` runs
    /// (the ingest waits there until Milvus makes the vectors searchable; when it throws,
    /// everything rolls back), and only then are the document frequencies upserted
    /// (row locks on `keyword_terms` shared with every ingest of the tenant, so they are
    /// taken last and held only until the COMMIT right after) and the documents marked ready.
    public func markReady(_ documents: [(id: String, terms: DocumentTerms)], tenant: String, owner: String, keywordVersion: Int,
                          whileWriting wait: () throws -> Void = {}) throws -> Bool {
        struct LeaseLost: Error {}
        guard !documents.isEmpty else { try wait(); return true }
        let ids = documents.map(\.id)
        do {
            return try transaction {
                // Locked until commit, in id order (two batches never deadlock here).
                let held = try run("""
                    SELECT 1 FROM documents WHERE id = ANY ($1::uuid[]) AND tenant = $2 AND status = 'pending' AND lease_owner = $3
                    ORDER BY id FOR UPDATE
                    """, [Self.uuidArray(ids), tenant, owner])
                guard held.rowCount == Set(ids).count else { throw LeaseLost() }
                try insertPostings(documents.map { (documentID: $0.id, terms: $0.terms) }, tenant: tenant)
                try wait()
                try addDocumentFrequencies(documents.map(\.terms), tenant: tenant)
                let lengths = documents.map { Self.indexedLengths($0.terms) }
                func list(_ length: ((chunks: Int, title: Int, section: Int)) -> Int) -> String {
                    "{" + lengths.map { String(length($0)) }.joined(separator: ",") + "}"
                }
                try run("""
                    UPDATE documents d SET status = 'ready', keyword_version = $3::integer, keyword_terms = u.terms,
                                           keyword_title_terms = u.title_terms, keyword_section_terms = u.section_terms,
                                           updated_at = now(), lease_owner = NULL, lease_until = NULL, lease_collection = NULL
                    FROM unnest($1::uuid[], $4::bigint[], $5::bigint[], $6::bigint[]) AS u (id, terms, title_terms, section_terms)
                    WHERE d.id = u.id AND d.tenant = $2
                    """, [Self.uuidArray(ids), tenant, String(keywordVersion), list(\.chunks), list(\.title), list(\.section)])
                return true
            }
        } catch is LeaseLost {
            return false
        }
    }

    /// Removes a document, its chunks and their keyword terms (any state). True if it
    /// existed in this tenant.
    @discardableResult
    public func deleteDocument(id: String, tenant: String) throws -> Bool {
        try transaction {
            try deleteTerms(documentID: id, tenant: tenant)
            return try run("DELETE FROM documents WHERE id = $1::uuid AND tenant = $2", [id, tenant]).affectedRows == 1
        }
    }

    // MARK: reads (ready documents only)

    public func document(id: String, tenant: String) throws -> DocumentRecord? {
        try run("SELECT \(Self.documentColumns) FROM documents WHERE id = $1::uuid AND tenant = $2 AND status = 'ready'",
                [id, tenant]).documents.first
    }

    /// Newest first; `after` is the (created_at, id) of the last row of the previous page.
    public func listDocuments(tenant: String, limit: Int, after: (createdAt: String, id: String)?) throws -> [DocumentRecord] {
        if let after {
            return try run("""
                SELECT \(Self.documentColumns) FROM documents
                WHERE tenant = $1 AND status = 'ready' AND (created_at, id) < ($2::timestamptz, $3::uuid)
                ORDER BY created_at DESC, id DESC LIMIT $4::integer
                """, [tenant, after.createdAt, after.id, String(limit)]).documents
        }
        return try run("""
            SELECT \(Self.documentColumns) FROM documents WHERE tenant = $1 AND status = 'ready'
            ORDER BY created_at DESC, id DESC LIMIT $2::integer
            """, [tenant, String(limit)]).documents
    }

    public func chunks(documentID: String, tenant: String, limit: Int, offset: Int) throws -> [ChunkRecord] {
        try run("""
            SELECT c.id::text, c.document_id::text, c.ordinal, c.text, c.page_start, c.page_end FROM chunks c
            JOIN documents d ON d.id = c.document_id AND d.status = 'ready'
            WHERE c.document_id = $1::uuid AND c.tenant = $2 AND d.tenant = $2
            ORDER BY c.ordinal LIMIT $3::integer OFFSET $4::integer
            """, [documentID, tenant, String(limit), String(offset)]).rows.map { row in
            ChunkRecord(id: row[0] ?? "", documentID: row[1] ?? "", ordinal: Int(row[2] ?? "") ?? 0, text: row[3] ?? "",
                        pages: PageRange(row[4], row[5]))
        }
    }

    /// Every chunk of a document in order, whatever its state (for ingest and reindex).
    public func allChunks(documentID: String, tenant: String) throws -> [ChunkRecord] {
        try run("""
            SELECT id::text, document_id::text, ordinal, text FROM chunks
            WHERE document_id = $1::uuid AND tenant = $2 ORDER BY ordinal
            """, [documentID, tenant]).rows.map { row in
            ChunkRecord(id: row[0] ?? "", documentID: row[1] ?? "", ordinal: Int(row[2] ?? "") ?? 0, text: row[3] ?? "")
        }
    }

    /// The given chunks of ready documents of the tenant, with their documents' titles.
    public func chunks(ids: [String], tenant: String) throws -> [ChunkWithDocument] {
        guard !ids.isEmpty else { return [] }
        return try run("""
            SELECT c.id::text, d.id::text, d.title, d.source, c.ordinal, c.text, c.page_start, c.page_end
            FROM chunks c JOIN documents d ON d.id = c.document_id
            WHERE c.id = ANY ($1::uuid[]) AND c.tenant = $2 AND d.tenant = $2 AND d.status = 'ready'
            """, [Self.uuidArray(ids), tenant]).rows.map { row in
            ChunkWithDocument(chunkID: row[0] ?? "", documentID: row[1] ?? "", title: row[2] ?? "", source: row[3],
                              ordinal: Int(row[4] ?? "") ?? 0, text: row[5] ?? "", pages: PageRange(row[6], row[7]))
        }
    }

    /// Ready documents of the tenant whose metadata contains `metadataJSON` (jsonb `@>`).
    public func documentIDs(tenant: String, metadataContains metadataJSON: String, limit: Int) throws -> [String] {
        try run("""
            SELECT id::text FROM documents WHERE tenant = $1 AND status = 'ready' AND metadata @> $2::jsonb
            ORDER BY created_at DESC LIMIT $3::integer
            """, [tenant, metadataJSON, String(limit)]).rows.compactMap { $0[0] }
    }

    /// The tenant's corpus version: bumped by a trigger on every change to its documents
    /// (migration 2); 0 before the first document.
    public func corpusVersion(tenant: String) throws -> Int64 {
        try run("SELECT version FROM corpus_versions WHERE tenant = $1", [tenant]).rows.first?[0].flatMap { Int64($0) } ?? 0
    }

    /// Every ready document, for `ragd reindex`.
    public func allReadyDocuments() throws -> [DocumentRecord] {
        try run("SELECT \(Self.documentColumns) FROM documents WHERE status = 'ready' ORDER BY created_at", []).documents
    }

    // MARK: vectors that still need deleting

    public func recordVectorCleanup(documentID: String, tenant: String) throws {
        try run("INSERT INTO vector_cleanup (document_id, tenant) VALUES ($1::uuid, $2) ON CONFLICT DO NOTHING", [documentID, tenant])
    }

    public func pendingVectorCleanups(limit: Int) throws -> [(documentID: String, tenant: String)] {
        try run("SELECT document_id::text, tenant FROM vector_cleanup ORDER BY created_at LIMIT $1::integer", [String(limit)])
            .rows.map { (documentID: $0[0] ?? "", tenant: $0[1] ?? "") }
    }

    public func vectorCleanupDone(documentID: String) throws {
        try run("DELETE FROM vector_cleanup WHERE document_id = $1::uuid", [documentID])
    }

    // MARK: helpers

    /// Runs `body` in a transaction; rolls back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try run("BEGIN", [])
        do {
            let value = try body()
            try run("COMMIT", [])
            return value
        } catch {
            _ = try? connection.query("ROLLBACK")
            throw error
        }
    }

    @discardableResult
    func run(_ sql: String, _ params: [String?]) throws -> PostgresResult {
        do {
            return try connection.query(sql, params)
        } catch {
            switch error.code {
            case .connection, .timeout: throw StoreError(.unavailable, "PostgreSQL: \(error.message)")
            default: throw StoreError(.other, "PostgreSQL: \(error.message)")
            }
        }
    }

    /// A PostgreSQL array literal of uuids; callers pass only validated uuids, and the
    /// value goes in as a parameter, never into the SQL text.
    static func uuidArray(_ ids: [String]) -> String {
        "{" + ids.joined(separator: ",") + "}"
    }

    static func chunksJSON(_ chunks: [NewChunk]) -> String {
        "[" + chunks.map { chunk in
            "{\"id\":\"\(chunk.id)\",\"ordinal\":\(chunk.ordinal),\"text\":\(JSONText.quoted(chunk.text))"
                + (chunk.pages.map { ",\"page_start\":\($0.start),\"page_end\":\($0.end)" } ?? "") + "}"
        }.joined(separator: ",") + "]"
    }
}

extension PostgresResult {
    var documents: [DocumentRecord] {
        rows.map { row in
            DocumentRecord(id: row[0] ?? "", tenant: row[1] ?? "", title: row[2] ?? "", source: row[3],
                           contentType: row[4] ?? "", sha256: row[5] ?? "", metadataJSON: row[6] ?? "{}",
                           status: row[7] ?? "", chunkCount: Int(row[8] ?? "") ?? 0, byteSize: Int(row[9] ?? "") ?? 0,
                           createdAt: row[10] ?? "", updatedAt: row[11] ?? "", pageCount: row[12].flatMap { Int($0) })
        }
    }
}
