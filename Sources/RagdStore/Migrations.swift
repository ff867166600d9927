import RagdPostgres

/// Versioned schema changes, applied in order, each in its own transaction, recorded in
/// `schema_migrations`. Never edit a released migration: add a new one.
public enum Migrations {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: [String]
    }

    public static let all: [Migration] = [
        Migration(version: 1, name: "documents and chunks", sql: [
            """
            CREATE TABLE documents (
                id           uuid PRIMARY KEY,
                tenant       text NOT NULL,
                title        text NOT NULL,
                source       text,
                content_type text NOT NULL,
                sha256       text NOT NULL,
                metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
                status       text NOT NULL CHECK (status IN ('pending', 'ready')),
                chunk_count  integer NOT NULL DEFAULT 0,
                byte_size    bigint NOT NULL DEFAULT 0,
                created_at   timestamptz NOT NULL DEFAULT now(),
                updated_at   timestamptz NOT NULL DEFAULT now()
            )
            """,
            // One copy of a content per tenant, whatever its state.
            "CREATE UNIQUE INDEX documents_tenant_sha256 ON documents (tenant, sha256)",
            // Listing: newest first, keyset pagination on (created_at, id).
            "CREATE INDEX documents_tenant_created ON documents (tenant, created_at DESC, id DESC)",
            "CREATE INDEX documents_metadata ON documents USING gin (metadata jsonb_path_ops)",
            """
            CREATE TABLE chunks (
                id          uuid PRIMARY KEY,
                document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
                tenant      text NOT NULL,
                ordinal     integer NOT NULL,
                text        text NOT NULL,
                tsv         tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
                UNIQUE (document_id, ordinal)
            )
            """,
            "CREATE INDEX chunks_tsv ON chunks USING gin (tsv)",
            "CREATE INDEX chunks_tenant ON chunks (tenant)",
            // Vectors whose document is gone but that Milvus could not delete at the time.
            """
            CREATE TABLE vector_cleanup (
                document_id uuid PRIMARY KEY,
                tenant      text NOT NULL,
                created_at  timestamptz NOT NULL DEFAULT now()
            )
            """,
        ]),
        // Cached answers are keyed by this version: any change to a tenant's documents
        // (ingest, status change, delete, from the API or `ragd reindex`) bumps it inside
        // the same transaction, so a cached answer can never outlive the corpus it read.
        Migration(version: 2, name: "corpus versions", sql: [
            "CREATE TABLE corpus_versions (tenant text PRIMARY KEY, version bigint NOT NULL)",
            """
            CREATE FUNCTION bump_corpus_version() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO corpus_versions AS v (tenant, version)
                VALUES (COALESCE(NEW.tenant, OLD.tenant), 1)
                ON CONFLICT (tenant) DO UPDATE SET version = v.version + 1;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER documents_corpus_version AFTER INSERT OR UPDATE OR DELETE ON documents
            FOR EACH ROW EXECUTE FUNCTION bump_corpus_version()
            """,
        ]),
        // The BM25 keyword index replaces PostgreSQL's full-text search, whose parser
        // depends on the database locale and keeps a whole run of Chinese as one word.
        // Terms come from ragd's own tokenizer (RagdText.SearchTokenizer), so the SQL
        // cannot build them: existing documents keep keyword_version 0 (not in the
        // keyword index) until `ragd reindex --keyword-only` fills their terms.
        //
        // chunk_terms holds one row per (chunk, distinct term) of searchable documents
        // only: the rows are written in the transaction that makes a document ready, so
        // no query filters pending documents. `impact` is the term's BM25 weight in the
        // chunk without its IDF, computed with the tenant's average length when written;
        // a query reads each term's postings in that order and only the best few
        // thousand, so a term found in half the corpus costs no more than a rare one.
        // keyword_terms counts each term's documents (df) per tenant and keyword_stats the
        // tenant's chunks and terms, both kept by triggers in the same transaction.
        Migration(version: 3, name: "bm25 keyword index", sql: [
            "ALTER TABLE chunks DROP COLUMN tsv",
            "ALTER TABLE documents ADD COLUMN keyword_version integer NOT NULL DEFAULT 0",
            "ALTER TABLE documents ADD COLUMN keyword_terms bigint NOT NULL DEFAULT 0",
            """
            CREATE TABLE chunk_terms (
                tenant       text NOT NULL,
                term         text NOT NULL,
                -- No foreign key: a document's postings are written and deleted with it
                -- in one statement each (DocumentStore), and checking a reference per
                -- posting cost a fifth of an ingest. A posting whose chunk is gone can
                -- only be found, never shown: search results resolve against ready chunks.
                chunk_id     uuid NOT NULL,
                document_id  uuid NOT NULL,
                tf           integer NOT NULL CHECK (tf > 0),
                chunk_length integer NOT NULL CHECK (chunk_length > 0),
                impact       real NOT NULL
            )
            """,
            // A query reads the best postings of each term from this index alone.
            """
            CREATE INDEX chunk_terms_by_impact ON chunk_terms (tenant, term, impact DESC)
            INCLUDE (chunk_id, document_id, tf, chunk_length)
            """,
            // Exact rescoring of the candidates, and deleting a document's rows.
            "CREATE UNIQUE INDEX chunk_terms_by_chunk ON chunk_terms (chunk_id, term) INCLUDE (tf, chunk_length)",
            """
            CREATE TABLE keyword_terms (
                tenant text NOT NULL,
                term   text NOT NULL,
                df     bigint NOT NULL,
                PRIMARY KEY (tenant, term)
            )
            """,
            // Rows are upserted in (tenant, term) order, so concurrent ingests that share
            // terms wait for each other instead of deadlocking.
            """
            CREATE FUNCTION count_added_terms() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO keyword_terms AS k (tenant, term, df)
                SELECT tenant, term, count(*) FROM added GROUP BY tenant, term ORDER BY tenant, term
                ON CONFLICT (tenant, term) DO UPDATE SET df = k.df + EXCLUDED.df;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE FUNCTION count_removed_terms() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO keyword_terms AS k (tenant, term, df)
                SELECT tenant, term, -count(*) FROM removed GROUP BY tenant, term ORDER BY tenant, term
                ON CONFLICT (tenant, term) DO UPDATE SET df = k.df + EXCLUDED.df;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER chunk_terms_added AFTER INSERT ON chunk_terms
            REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION count_added_terms()
            """,
            """
            CREATE TRIGGER chunk_terms_removed AFTER DELETE ON chunk_terms
            REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION count_removed_terms()
            """,
            """
            CREATE TABLE keyword_stats (
                tenant text PRIMARY KEY,
                chunks bigint NOT NULL,
                terms  bigint NOT NULL
            )
            """,
            """
            CREATE FUNCTION follow_keyword_stats() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                delta_chunks bigint := 0;
                delta_terms  bigint := 0;
            BEGIN
                IF TG_OP <> 'INSERT' AND OLD.status = 'ready' AND OLD.keyword_version > 0 THEN
                    delta_chunks := delta_chunks - OLD.chunk_count;
                    delta_terms := delta_terms - OLD.keyword_terms;
                END IF;
                IF TG_OP <> 'DELETE' AND NEW.status = 'ready' AND NEW.keyword_version > 0 THEN
                    delta_chunks := delta_chunks + NEW.chunk_count;
                    delta_terms := delta_terms + NEW.keyword_terms;
                END IF;
                IF delta_chunks <> 0 OR delta_terms <> 0 THEN
                    INSERT INTO keyword_stats AS s (tenant, chunks, terms)
                    VALUES (COALESCE(NEW.tenant, OLD.tenant), delta_chunks, delta_terms)
                    ON CONFLICT (tenant) DO UPDATE SET chunks = s.chunks + delta_chunks, terms = s.terms + delta_terms;
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER documents_keyword_stats AFTER INSERT OR UPDATE OR DELETE ON documents
            FOR EACH ROW EXECUTE FUNCTION follow_keyword_stats()
            """,
        ]),
        // A pending document belongs to the worker process ingesting it (`lease_owner`,
        // "host/pid/start time") until `lease_until`, which that worker renews while it
        // lives. When the owner is dead (known at once on its own host) or its lease has
        // run out, any worker may take the document over and remove it (IngestLease).
        Migration(version: 4, name: "ingest leases", sql: [
            "ALTER TABLE documents ADD COLUMN lease_owner text, ADD COLUMN lease_until timestamptz",
            "CREATE INDEX documents_pending ON documents (lease_until) WHERE status = 'pending'",
        ]),
        // Background ingestion (`POST /v1/documents?async=true`): the extracted text waits
        // here until a worker's job runner claims it (`FOR UPDATE SKIP LOCKED`, with a
        // lease like a pending document's). The text is dropped once the job is done.
        // Deployments that share a database may index into different Milvus collections
        // (the e5 profile next to the local embedder): a job is run only by workers of its
        // collection, and a pending document records where its vectors went, so whoever
        // removes it deletes them there.
        Migration(version: 5, name: "ingest jobs", sql: [
            "ALTER TABLE documents ADD COLUMN lease_collection text",
            """
            CREATE TABLE ingest_jobs (
                id            uuid PRIMARY KEY,
                tenant        text NOT NULL,
                collection    text NOT NULL,
                state         text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
                title         text NOT NULL,
                source        text,
                content_type  text NOT NULL,
                body          text,
                metadata      jsonb NOT NULL DEFAULT '{}',
                document_id   uuid,
                duplicate     boolean NOT NULL DEFAULT false,
                chunks_total  integer NOT NULL DEFAULT 0,
                chunks_done   integer NOT NULL DEFAULT 0,
                attempts      integer NOT NULL DEFAULT 0,
                error         text,
                lease_owner   text,
                lease_until   timestamptz,
                not_before    timestamptz NOT NULL DEFAULT now(),
                created_at    timestamptz NOT NULL DEFAULT now(),
                updated_at    timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX ingest_jobs_waiting ON ingest_jobs (collection, not_before) WHERE state IN ('queued', 'running')",
        ]),
        // PDF pages: the pages a chunk's text came from (first and last, as the document
        // numbers them from 1) and the document's page count, so a citation can say
        // "page 12". NULL for formats without pages and for rows written before; adding
        // nullable columns without a default rewrites nothing. A background job keeps the
        // page map of its text (`pages`: {"count": n, "starts": [[offset, page], ...]})
        // until it runs.
        Migration(version: 6, name: "pdf pages", sql: [
            "ALTER TABLE chunks ADD COLUMN page_start integer, ADD COLUMN page_end integer",
            """
            ALTER TABLE chunks ADD CONSTRAINT chunks_pages CHECK (
                (page_start IS NULL AND page_end IS NULL) OR (page_start >= 1 AND page_end >= page_start))
            """,
            "ALTER TABLE documents ADD COLUMN page_count integer CHECK (page_count >= 0)",
            "ALTER TABLE ingest_jobs ADD COLUMN pages jsonb",
        ]),
        // Ingest throughput (issue 11): ragd upserts the document frequencies of new
        // postings itself (`DocumentStore.addDocumentFrequencies`), as the last statement
        // before COMMIT, so that the postings can be written while Milvus makes the
        // document's vectors searchable without holding `keyword_terms` row locks (which
        // the INSERT trigger took at once) through that wait: concurrent ingests of a
        // tenant would queue behind each other. A transaction that does so says it with
        // `set_config('ragd.keyword_df', 'caller', true)` and the trigger then leaves
        // the counting to it; a ragd of an earlier release (a rolling upgrade) does not,
        // and the trigger keeps counting its postings as before. Deletes still count
        // through `chunk_terms_removed`.
        Migration(version: 7, name: "keyword df upserted by the ingest (ingest throughput)", sql: [
            """
            CREATE OR REPLACE FUNCTION count_added_terms() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF current_setting('ragd.keyword_df', true) IS NOT DISTINCT FROM 'caller' THEN
                    RETURN NULL;
                END IF;
                INSERT INTO keyword_terms AS k (tenant, term, df)
                SELECT tenant, term, count(*) FROM added GROUP BY tenant, term ORDER BY tenant, term
                ON CONFLICT (tenant, term) DO UPDATE SET df = k.df + EXCLUDED.df;
                RETURN NULL;
            END
            $$
            """,
        ]),
        // Document-level keyword legs (issue 10): BM25 over each document's title, and over
        // its whole section (the title once plus every chunk's text), rank documents; the
        // hybrid search gives their candidate chunks a share of the fusion (Retriever).
        // One row per (document, distinct term of its title or text): `title_tf` is 0 for a
        // term of the text only. Impacts as in chunk_terms, one per ranking. The document
        // frequencies live next to the chunks' in keyword_terms, upserted by the ingest
        // (as in migration 7) and taken back by the delete trigger; the per-tenant
        // document count and lengths in keyword_stats follow the documents row, counting
        // only documents that have these terms (`keyword_section_terms` > 0): until
        // `ragd reindex --keyword-only` writes them, older documents are searched by
        // their chunks alone.
        Migration(version: 8, name: "document-level keyword terms (titles and sections)", sql: [
            """
            ALTER TABLE documents ADD COLUMN keyword_title_terms bigint NOT NULL DEFAULT 0,
                                  ADD COLUMN keyword_section_terms bigint NOT NULL DEFAULT 0
            """,
            "ALTER TABLE keyword_terms ADD COLUMN title_df bigint NOT NULL DEFAULT 0, ADD COLUMN section_df bigint NOT NULL DEFAULT 0",
            """
            ALTER TABLE keyword_stats ADD COLUMN documents bigint NOT NULL DEFAULT 0,
                                      ADD COLUMN title_terms bigint NOT NULL DEFAULT 0,
                                      ADD COLUMN section_terms bigint NOT NULL DEFAULT 0
            """,
            """
            CREATE TABLE document_terms (
                tenant         text NOT NULL,
                term           text NOT NULL,
                document_id    uuid NOT NULL,
                title_tf       integer NOT NULL CHECK (title_tf >= 0),
                section_tf     integer NOT NULL CHECK (section_tf > 0),
                title_length   integer NOT NULL CHECK (title_length >= 0),
                section_length integer NOT NULL CHECK (section_length > 0),
                title_impact   real NOT NULL,
                section_impact real NOT NULL
            )
            """,
            """
            CREATE INDEX document_terms_by_section ON document_terms (tenant, term, section_impact DESC)
            INCLUDE (document_id, section_tf, section_length)
            """,
            """
            CREATE INDEX document_terms_by_title ON document_terms (tenant, term, title_impact DESC)
            INCLUDE (document_id, title_tf, title_length) WHERE title_tf > 0
            """,
            "CREATE UNIQUE INDEX document_terms_by_document ON document_terms (document_id, term)",
            """
            CREATE FUNCTION count_removed_document_terms() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO keyword_terms AS k (tenant, term, df, title_df, section_df)
                SELECT tenant, term, 0, -count(*) FILTER (WHERE title_tf > 0), -count(*)
                FROM removed GROUP BY tenant, term ORDER BY tenant, term
                ON CONFLICT (tenant, term) DO UPDATE
                SET title_df = k.title_df + EXCLUDED.title_df, section_df = k.section_df + EXCLUDED.section_df;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER document_terms_removed AFTER DELETE ON document_terms
            REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION count_removed_document_terms()
            """,
            """
            CREATE OR REPLACE FUNCTION follow_keyword_stats() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                delta_chunks    bigint := 0;
                delta_terms     bigint := 0;
                delta_documents bigint := 0;
                delta_titles    bigint := 0;
                delta_sections  bigint := 0;
            BEGIN
                IF TG_OP <> 'INSERT' AND OLD.status = 'ready' AND OLD.keyword_version > 0 THEN
                    delta_chunks := delta_chunks - OLD.chunk_count;
                    delta_terms := delta_terms - OLD.keyword_terms;
                    IF OLD.keyword_section_terms > 0 THEN
                        delta_documents := delta_documents - 1;
                        delta_titles := delta_titles - OLD.keyword_title_terms;
                        delta_sections := delta_sections - OLD.keyword_section_terms;
                    END IF;
                END IF;
                IF TG_OP <> 'DELETE' AND NEW.status = 'ready' AND NEW.keyword_version > 0 THEN
                    delta_chunks := delta_chunks + NEW.chunk_count;
                    delta_terms := delta_terms + NEW.keyword_terms;
                    IF NEW.keyword_section_terms > 0 THEN
                        delta_documents := delta_documents + 1;
                        delta_titles := delta_titles + NEW.keyword_title_terms;
                        delta_sections := delta_sections + NEW.keyword_section_terms;
                    END IF;
                END IF;
                IF delta_chunks <> 0 OR delta_terms <> 0 OR delta_documents <> 0 OR delta_titles <> 0 OR delta_sections <> 0 THEN
                    INSERT INTO keyword_stats AS s (tenant, chunks, terms, documents, title_terms, section_terms)
                    VALUES (COALESCE(NEW.tenant, OLD.tenant), delta_chunks, delta_terms, delta_documents, delta_titles, delta_sections)
                    ON CONFLICT (tenant) DO UPDATE SET chunks = s.chunks + delta_chunks, terms = s.terms + delta_terms,
                        documents = s.documents + delta_documents, title_terms = s.title_terms + delta_titles,
                        section_terms = s.section_terms + delta_sections;
                END IF;
                RETURN NULL;
            END
            $$
            """,
        ]),
    ]

    /// A lock id of our own for `pg_advisory_lock`, so that several pods starting at once
    /// run the migrations one after another instead of racing.
    static let lockID = "7264640001"

    /// Applies what is missing, up to `through` (all when nil; tests stop early to build a
    /// database as an older release left it); returns the versions applied now.
    @discardableResult
    public static func run(on connection: PostgresConnection, through: Int? = nil) throws -> [Int] {
        try connection.query("SELECT pg_advisory_lock($1::bigint)", [lockID])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1::bigint)", [lockID]) }
        try connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        let applied = Set(try connection.query("SELECT version FROM schema_migrations").rows.compactMap { $0[0].flatMap(Int.init) })
        var done: [Int] = []
        for migration in all where !applied.contains(migration.version) && migration.version <= (through ?? .max) {
            try connection.query("BEGIN")
            do {
                for statement in migration.sql { try connection.query(statement) }
                try connection.query("INSERT INTO schema_migrations (version, name) VALUES ($1::integer, $2)",
                                     [String(migration.version), migration.name])
                try connection.query("COMMIT")
            } catch {
                _ = try? connection.query("ROLLBACK")
                throw StoreError(.migration, "migration \(migration.version) (\(migration.name)) failed: \(error)")
            }
            done.append(migration.version)
        }
        return done
    }
}
