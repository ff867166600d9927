/// Who is ingesting a pending document, and taking it over when they are gone.
extension DocumentStore {
    /// A pending document as the janitor sees it.
    public struct PendingLease: Sendable {
        public var documentID: String
        public var tenant: String
        /// "host/pid/start time" of the ingesting process; nil for a document from before
        /// leases (then `expired` follows the old rule: untouched for 15 minutes).
        public var owner: String?
        public var expired: Bool
        /// The Milvus collection its vectors went to (nil: from before that was recorded).
        public var collection: String? = nil
    }

    /// Extends the leases of every document `owner` is ingesting; the count renewed.
    /// Documents being published right now (locked by `markReady`, which may hold them
    /// through Milvus's visibility wait) are skipped: they become ready or are discarded
    /// by their ingest, and waiting for them could deadlock with a batch that locks
    /// several of this owner's documents.
    @discardableResult
    public func renewLeases(owner: String, seconds: Int) throws -> Int {
        try run("""
            UPDATE documents SET lease_until = now() + make_interval(secs => $2::integer)
            WHERE id IN (SELECT id FROM documents WHERE status = 'pending' AND lease_owner = $1 FOR UPDATE SKIP LOCKED)
            """, [owner, String(seconds)]).affectedRows ?? 0
    }

    /// Pending documents whose lease ran out, and those owned by processes of `host`
    /// (whose liveness the caller can check), oldest first; across tenants (the janitor
    /// is the system's, and everything it then does names the document's own tenant).
    public func reclaimCandidates(host: String, limit: Int) throws -> [PendingLease] {
        let result = try run("""
            SELECT id::text, tenant, lease_owner, coalesce(lease_until, updated_at + interval '15 minutes') < now(),
                   lease_collection
            FROM documents
            WHERE status = 'pending'
              AND (coalesce(lease_until, updated_at + interval '15 minutes') < now() OR left(lease_owner, $1::integer) = $2)
            ORDER BY created_at LIMIT $3::integer
            """, [String(host.count + 1), host + "/", String(limit)])
        return (0..<result.rowCount).map { row in
            PendingLease(documentID: result[row, 0] ?? "", tenant: result[row, 1] ?? "", owner: result[row, 2],
                         expired: result[row, 3] == "t", collection: result[row, 4])
        }
    }

    /// The lease of one pending document of the tenant, or nil when it is not pending.
    public func pendingLease(id: String, tenant: String) throws -> PendingLease? {
        let result = try run("""
            SELECT id::text, tenant, lease_owner, coalesce(lease_until, updated_at + interval '15 minutes') < now(),
                   lease_collection
            FROM documents WHERE id = $1::uuid AND tenant = $2 AND status = 'pending'
            """, [id, tenant])
        guard result.rowCount == 1 else { return nil }
        return PendingLease(documentID: id, tenant: tenant, owner: result[0, 2], expired: result[0, 3] == "t",
                            collection: result[0, 4])
    }

    /// Takes over an abandoned pending document for `newOwner`, only if it is still
    /// pending under the lease the caller judged (`seen`): two janitors never both win,
    /// and an owner that publishes in the meantime keeps its document.
    public func takeOver(_ seen: PendingLease, newOwner: String, seconds: Int) throws -> Bool {
        try run("""
            UPDATE documents SET lease_owner = $3, lease_until = now() + make_interval(secs => $4::integer)
            WHERE id = $1::uuid AND tenant = $2 AND status = 'pending' AND lease_owner IS NOT DISTINCT FROM $5
            """, [seen.documentID, seen.tenant, newOwner, String(seconds), seen.owner]).affectedRows == 1
    }
}
