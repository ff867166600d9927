import Logging
import RagdStore

/// Runs background ingests (`POST /v1/documents?async=true`) from the `ingest_jobs` queue,
/// one batch at a time (up to `batchSize` queued jobs of one tenant, ingested together by
/// `Ingestor.ingestBatch`), on a thread of each worker.
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

    /// Jobs of one tenant ingested together (one Milvus wait, one transaction).
    public let batchSize: Int
    public static let defaultBatchSize = 32
    /// Only jobs with at most this much text join another's batch.
    static let partnerMaxBytes = 1 << 20

    public init(store: DocumentStore, ingestor: Ingestor, batchSize: Int = IngestJobRunner.defaultBatchSize) {
        self.store = store
        self.ingestor = ingestor
        self.batchSize = max(1, batchSize)
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

    /// Runs one due job, with up to `batchSize - 1` more of its tenant as one batch
    /// (`Ingestor.ingestBatch`). False when there was none.
    public func runOne() throws -> Bool {
        let owner = IngestLease.currentOwner()
        let jobs = try store.claimJobs(owner: owner, leaseSeconds: IngestLease.seconds, collection: ingestor.collection,
                                       limit: batchSize, partnerMaxBytes: Self.partnerMaxBytes)
        guard !jobs.isEmpty else { return false }
        let progress: [((Int, Int) -> Void)?] = jobs.map { job in
            { done, total in try? self.store.setJobProgress(id: job.id, owner: owner, done: done, total: total) }
        }
        // A claimed batch is always one tenant's jobs.
        let outcomes = ingestor.ingestBatch(jobs.map(\.document), tenant: jobs[0].tenant, progress: progress)
        for (job, outcome) in zip(jobs, outcomes) {
            switch outcome {
            case .success(let result):
                try store.finishJob(id: job.id, owner: owner, documentID: result.document.id, duplicate: result.duplicate,
                                    chunks: result.document.chunkCount)
            case .failure(let error):
                let retry = Self.isTransient(error) && job.attempts < Self.maxAttempts ? 1 << job.attempts : nil
                try store.failJob(id: job.id, owner: owner, error: error.message, retryAfterSeconds: retry)
                logger.warning(retry == nil ? "ingest job failed" : "ingest job failed; retrying", metadata: [
                    "job_id": .string(job.id), "attempt": .stringConvertible(job.attempts), "batch": .stringConvertible(jobs.count),
                    "error": .string(String(describing: error)),
                ])
            }
        }
        return true
    }

    static func isTransient(_ error: PipelineError) -> Bool {
        error.code != .invalidInput
    }
}
