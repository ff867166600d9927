import Logging
import RagdStore

/// Runs background ingests (`POST /v1/documents?async=true`) from the `ingest_jobs` queue,
/// one at a time, on a thread of each worker.
///
/// A job is claimed with `FOR UPDATE SKIP LOCKED` under the process's lease (renewed by the
/// janitor). Its ingest is the synchronous one, so a document is visible whole or not at
/// all, and content already stored makes the job succeed with that document: a job whose
/// runner died and runs again is never stored twice. Runners of dead processes on this host
/// are noticed at once and their jobs queued again; elsewhere their leases expire.
/// Dependency failures are retried with backoff (2, 4, 8, 16 s), at most `maxAttempts`
/// times; input that cannot be ingested fails at once.
public final class IngestJobRunner {
    let store: DocumentStore
    let ingestor: Ingestor
    public static let maxAttempts = 5
    private let logger = Logger(label: "ragd.jobs")

    public init(store: DocumentStore, ingestor: Ingestor) {
        self.store = store
        self.ingestor = ingestor
    }

    /// Queues again this host's jobs whose runner died; part of the janitor's round, so
    /// the job thread's one-a-second polls of an empty queue stay one query each.
    public func requeueAbandoned() throws {
        for (id, owner) in try store.runningJobs(host: IngestLease.host) where IngestLease.isDead(owner) {
            if try store.requeueJob(id: id, owner: owner) {
                logger.notice("queued again a job whose runner died", metadata: ["job_id": .string(id), "owner": .string(owner)])
            }
        }
    }

    /// Runs one due job. False when there was none.
    public func runOne() throws -> Bool {
        let owner = IngestLease.currentOwner()
        guard let job = try store.claimJob(owner: owner, leaseSeconds: IngestLease.seconds, collection: ingestor.collection) else {
            return false
        }
        let request = IngestRequest(tenant: job.tenant, title: job.title, source: job.source, contentType: job.contentType,
                                    text: job.text, metadataJSON: job.metadataJSON, pages: job.pagesJSON.flatMap(PageMapJSON.decode))
        let result: IngestResult
        do throws(PipelineError) {
            result = try ingestor.ingest(request) { done, total in
                try? self.store.setJobProgress(id: job.id, owner: owner, done: done, total: total)
            }
        } catch {
            let retry = Self.isTransient(error) && job.attempts < Self.maxAttempts ? 1 << job.attempts : nil
            try store.failJob(id: job.id, owner: owner, error: error.message, retryAfterSeconds: retry)
            logger.warning(retry == nil ? "ingest job failed" : "ingest job failed; retrying", metadata: [
                "job_id": .string(job.id), "attempt": .stringConvertible(job.attempts), "error": .string(String(describing: error)),
            ])
            return true
        }
        try store.finishJob(id: job.id, owner: owner, documentID: result.document.id, duplicate: result.duplicate,
                            chunks: result.document.chunkCount)
        return true
    }

    static func isTransient(_ error: PipelineError) -> Bool {
        error.code != .invalidInput
    }
}
