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
    ]

    /// A lock id of our own for `pg_advisory_lock`, so that several pods starting at once
    /// run the migrations one after another instead of racing.
    static let lockID = "7264640001"

    /// Applies what is missing; returns the versions applied now.
    @discardableResult
    public static func run(on connection: PostgresConnection) throws -> [Int] {
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
        for migration in all where !applied.contains(migration.version) {
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
