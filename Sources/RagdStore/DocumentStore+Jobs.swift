import RagdPostgres

/// A background ingest as the API shows it.
public struct JobRecord: Sendable, Equatable {
    public var id: String
    public var tenant: String
    /// `queued`, `running`, `succeeded` or `failed`.
    public var state: String
    public var title: String
    public var documentID: String?
    public var duplicate: Bool
    public var chunksTotal: Int
    public var chunksDone: Int
    public var attempts: Int
    public var error: String?
    public var createdAt: String
    public var updatedAt: String
}

/// A claimed job with what its runner needs to ingest it.
public struct ClaimedJob: Sendable {
    public var id: String
    public var tenant: String
    public var attempts: Int
    public var document: UploadedDocument
}

/// A background ingest to queue: an upload already extracted and validated.
public struct NewJob: Sendable {
    public var id: String
    public var document: UploadedDocument

    public init(id: String, document: UploadedDocument) {
        self.id = id
        self.document = document
    }
}

/// The queue of background ingests (migration 5).
extension DocumentStore {
    static let jobColumns = """
        id::text, tenant, state, title, document_id::text, duplicate, chunks_total, chunks_done, attempts, error,
        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        """

    /// Queues an ingest for the tenant, for the workers indexing into Milvus `collection`.
    /// The document's page map (a PDF's, migration 6) is kept with the text, as JSON, until
    /// the job is done.
    public func enqueueJob(_ job: NewJob, tenant: String, collection: String) throws -> JobRecord {
        let result = try run("""
            INSERT INTO ingest_jobs (id, tenant, collection, state, title, source, content_type, body, metadata, pages)
            VALUES ($1::uuid, $2, $8, 'queued', $3, $4, $5, $6, $7::jsonb, $9::jsonb)
            RETURNING \(Self.jobColumns)
            """, [job.id, tenant, job.document.title, job.document.source, job.document.contentType, job.document.text,
                  job.document.metadataJSON, collection, job.document.pages.map(PageMapJSON.encode)])
        guard let stored = result.jobs.first else { throw StoreError(.other, "PostgreSQL: the job was not stored") }
        return stored
    }

    /// Queues several ingests for the tenant in one transaction: all of them, or (when
    /// any insert fails) none. The jobs come back in the order given.
    public func enqueueJobs(_ jobs: [NewJob], tenant: String, collection: String) throws -> [JobRecord] {
        try transaction {
            try jobs.map { try enqueueJob($0, tenant: tenant, collection: collection) }
        }
    }

    /// The tenant's jobs among `ids` (validated uuids), in the order of `ids`; ids that
    /// are not the tenant's jobs are left out, exactly as if they did not exist.
    public func jobs(ids: [String], tenant: String) throws -> [JobRecord] {
        guard !ids.isEmpty else { return [] }
        let found = try run("SELECT \(Self.jobColumns) FROM ingest_jobs WHERE id = ANY($1::uuid[]) AND tenant = $2",
                            [Self.uuidArray(ids), tenant]).jobs
        let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { byID[$0] }
    }

    /// The tenant's job, or nil (another tenant's is as missing as a made-up id).
    public func job(id: String, tenant: String) throws -> JobRecord? {
        try run("SELECT \(Self.jobColumns) FROM ingest_jobs WHERE id = $1::uuid AND tenant = $2", [id, tenant]).jobs.first
    }

    /// Claims the oldest job of `collection` that is due: queued, or running under a lease
    /// that expired (its runner died on another host). Concurrent runners skip each
    /// other's rows.
    public func claimJob(owner: String, leaseSeconds: Int, collection: String) throws -> ClaimedJob? {
        let result = try run("""
            UPDATE ingest_jobs SET state = 'running', lease_owner = $1, lease_until = now() + make_interval(secs => $2::integer),
                                   attempts = attempts + 1, updated_at = now()
            WHERE id = (
                SELECT id FROM ingest_jobs
                WHERE collection = $3
                  AND ((state = 'queued' AND not_before <= now()) OR (state = 'running' AND lease_until < now()))
                ORDER BY not_before, created_at
                FOR UPDATE SKIP LOCKED LIMIT 1)
            RETURNING id::text, tenant, title, source, content_type, body, metadata::text, attempts, pages::text
            """, [owner, String(leaseSeconds), collection])
        return result.claimedJobs.first
    }

    /// Claims a batch: the oldest due job of `collection` (as `claimJob`), and with it up
    /// to `limit - 1` more due jobs of the same tenant whose text is at most
    /// `partnerMaxBytes` (so a batch's memory stays bounded: only the first job may be
    /// large), oldest first. All under `owner`'s lease, each counted as an attempt.
    /// Concurrent runners skip each other's rows. Empty when nothing is due.
    public func claimJobs(owner: String, leaseSeconds: Int, collection: String, limit: Int,
                          partnerMaxBytes: Int) throws -> [ClaimedJob] {
        guard limit > 1 else { return try claimJob(owner: owner, leaseSeconds: leaseSeconds, collection: collection).map { [$0] } ?? [] }
        let due = "((j.state = 'queued' AND j.not_before <= now()) OR (j.state = 'running' AND j.lease_until < now()))"
        let result = try run("""
            WITH first AS (
                SELECT j.id, j.tenant FROM ingest_jobs j
                WHERE j.collection = $3 AND \(due)
                ORDER BY j.not_before, j.created_at
                FOR UPDATE SKIP LOCKED LIMIT 1
            ), partners AS (
                SELECT j.id FROM ingest_jobs j
                WHERE j.collection = $3 AND j.tenant = (SELECT tenant FROM first) AND j.id <> (SELECT id FROM first)
                  AND \(due) AND octet_length(j.body) <= $5::integer
                ORDER BY j.not_before, j.created_at
                FOR UPDATE OF j SKIP LOCKED LIMIT $4::integer
            )
            UPDATE ingest_jobs SET state = 'running', lease_owner = $1, lease_until = now() + make_interval(secs => $2::integer),
                                   attempts = attempts + 1, updated_at = now()
            WHERE id IN (SELECT id FROM first UNION ALL SELECT id FROM partners)
            RETURNING id::text, tenant, title, source, content_type, body, metadata::text, attempts, pages::text,
                      to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), id = (SELECT id FROM first)
            """, [owner, String(leaseSeconds), collection, String(limit - 1), String(partnerMaxBytes)])
        // The first job first, then the rest in queue order.
        let rows = (0..<result.rowCount).sorted { a, b in
            let firstA = result[a, 10] == "t", firstB = result[b, 10] == "t"
            if firstA != firstB { return firstA }
            return (result[a, 9] ?? "", result[a, 0] ?? "") < (result[b, 9] ?? "", result[b, 0] ?? "")
        }
        let jobs = result.claimedJobs
        return rows.map { jobs[$0] }
    }

    /// Running jobs owned by processes of `host` (the caller checks which are dead).
    public func runningJobs(host: String) throws -> [(id: String, owner: String)] {
        let result = try run("""
            SELECT id::text, lease_owner FROM ingest_jobs WHERE state = 'running' AND left(lease_owner, $1::integer) = $2
            """, [String(host.count + 1), host + "/"])
        return (0..<result.rowCount).map { (result[$0, 0] ?? "", result[$0, 1] ?? "") }
    }

    /// Puts a job whose runner died back in the queue, if `owner` still holds it.
    @discardableResult
    public func requeueJob(id: String, owner: String) throws -> Bool {
        try run("""
            UPDATE ingest_jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL, updated_at = now()
            WHERE id = $1::uuid AND state = 'running' AND lease_owner = $2
            """, [id, owner]).affectedRows == 1
    }

    public func renewJobLeases(owner: String, seconds: Int) throws {
        try run("""
            UPDATE ingest_jobs SET lease_until = now() + make_interval(secs => $2::integer)
            WHERE state = 'running' AND lease_owner = $1
            """, [owner, String(seconds)])
    }

    public func setJobProgress(id: String, owner: String, done: Int, total: Int) throws {
        try run("""
            UPDATE ingest_jobs SET chunks_done = $3::integer, chunks_total = $4::integer, updated_at = now()
            WHERE id = $1::uuid AND lease_owner = $2
            """, [id, owner, String(done), String(total)])
    }

    /// Done: the document, and the text dropped. Only while `owner` holds the job.
    public func finishJob(id: String, owner: String, documentID: String, duplicate: Bool, chunks: Int) throws {
        try run("""
            UPDATE ingest_jobs SET state = 'succeeded', document_id = $3::uuid, duplicate = $4::boolean, chunks_done = $5::integer,
                                   chunks_total = $5::integer, body = NULL, pages = NULL, error = NULL, lease_owner = NULL,
                                   lease_until = NULL,
                                   updated_at = now()
            WHERE id = $1::uuid AND lease_owner = $2
            """, [id, owner, documentID, duplicate ? "true" : "false", String(chunks)])
    }

    /// Failed this time: back in the queue after `retryAfterSeconds`, or for good (nil).
    public func failJob(id: String, owner: String, error: String, retryAfterSeconds: Int?) throws {
        if let retryAfterSeconds {
            try run("""
                UPDATE ingest_jobs SET state = 'queued', error = $3, not_before = now() + make_interval(secs => $4::integer),
                                       lease_owner = NULL, lease_until = NULL, updated_at = now()
                WHERE id = $1::uuid AND lease_owner = $2
                """, [id, owner, error, String(retryAfterSeconds)])
        } else {
            try run("""
                UPDATE ingest_jobs SET state = 'failed', error = $3, body = NULL, pages = NULL, lease_owner = NULL, lease_until = NULL,
                                       updated_at = now()
                WHERE id = $1::uuid AND lease_owner = $2
                """, [id, owner, error])
        }
    }
}

extension PostgresResult {
    /// Rows of `claimJob` and `claimJobs`: id, tenant, title, source, content_type, body,
    /// metadata, attempts, pages (a page map that does not decode is left out).
    var claimedJobs: [ClaimedJob] {
        rows.map { row in
            ClaimedJob(id: row[0] ?? "", tenant: row[1] ?? "", attempts: Int(row[7] ?? "") ?? 1, document: UploadedDocument(
                title: row[2] ?? "", source: row[3], contentType: row[4] ?? "text/plain", text: row[5] ?? "",
                metadataJSON: row[6] ?? "{}", pages: row[8].flatMap(PageMapJSON.decode)))
        }
    }

    var jobs: [JobRecord] {
        rows.map { row in
            JobRecord(id: row[0] ?? "", tenant: row[1] ?? "", state: row[2] ?? "", title: row[3] ?? "", documentID: row[4],
                      duplicate: row[5] == "t", chunksTotal: Int(row[6] ?? "") ?? 0, chunksDone: Int(row[7] ?? "") ?? 0,
                      attempts: Int(row[8] ?? "") ?? 0, error: row[9], createdAt: row[10] ?? "", updatedAt: row[11] ?? "")
        }
    }
}
