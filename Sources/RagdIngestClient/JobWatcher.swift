import Foundation
import RagdCore
import RagdCurl

/// How a background job ended, as `ragd ingest --async` sees it.
enum JobEnd {
    case succeeded(documentID: String, chunks: Int, duplicate: Bool)
    case failed(String)
    /// The server does not know the job (not this tenant's, or gone).
    case missing
    /// The run stopped while waiting.
    case stopped
}

/// Waits for background jobs with one poller for all of them: every second, one
/// `GET /v1/jobs?ids=` per 100 jobs in flight, rather than a request per job, so a run
/// with many uploads in flight stays far below the server's rate limit.
final class JobWatcher: @unchecked Sendable {
    private let condition = NSCondition()
    private var waiting: Set<String> = []
    private var ended: [String: JobEnd] = [:]
    private var finished = false
    private var thread: Thread?
    private let api: IngestAPI
    private let control: RunControl
    private let progress: ProgressReporter
    /// Seconds between two polls. Default: 1.
    var interval: Double = 1

    init(api: IngestAPI, control: RunControl, progress: ProgressReporter) {
        self.api = api
        self.control = control
        self.progress = progress
    }

    /// Blocks until job `id` ends (or the run stops).
    func wait(for id: String) -> JobEnd {
        condition.lock()
        defer { condition.unlock() }
        waiting.insert(id)
        if thread == nil {
            let poller = Thread { [self] in poll() }
            poller.name = "ragd-ingest-jobs"
            thread = poller
            poller.start()
        }
        condition.broadcast()
        while ended[id] == nil && !finished { condition.wait() }
        waiting.remove(id)
        return ended.removeValue(forKey: id) ?? .stopped
    }

    /// Ends the poller (after the last wait).
    func stop() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    private func poll() {
        while true {
            condition.lock()
            while waiting.subtracting(ended.keys).isEmpty && !finished { condition.wait() }
            let ids = Array(waiting.subtracting(ended.keys)).sorted()
            let done = finished
            condition.unlock()
            if done { return }
            RetryBackoff.wait(seconds: interval, shouldContinue: { self.control.shouldContinue })
            var results: [String: JobEnd] = [:]
            for start in stride(from: 0, to: ids.count, by: 100) {
                let batch = Array(ids[start..<min(start + 100, ids.count)])
                let answer = api.jobs(batch)
                switch answer {
                case .success(_, let body):
                    let jobs = body["data"] as? [[String: Any]] ?? []
                    var seen = Set<String>()
                    for job in jobs {
                        guard let id = job["id"] as? String else { continue }
                        seen.insert(id)
                        let progress = job["progress"] as? [String: Any]
                        switch job["state"] as? String {
                        case "succeeded":
                            results[id] = .succeeded(documentID: job["document_id"] as? String ?? "",
                                                     chunks: (progress?["chunks_total"] as? NSNumber)?.intValue ?? 0,
                                                     duplicate: job["duplicate"] as? Bool ?? false)
                            self.progress.jobProgress(id, chunks: nil)
                        case "failed":
                            results[id] = .failed(job["error"] as? String ?? "the job failed")
                            self.progress.jobProgress(id, chunks: nil)
                        default:
                            self.progress.jobProgress(id, chunks: (progress?["chunks_embedded"] as? NSNumber)?.intValue)
                        }
                    }
                    for id in batch where !seen.contains(id) { results[id] = .missing }
                case .refused(_, let message):
                    control.stop("GET /v1/jobs was refused: \(message)")
                case .unauthorized, .unavailable, .stopped:
                    control.stop(after: answer)
                }
            }
            condition.lock()
            for (id, end) in results { ended[id] = end }
            if !control.shouldContinue {
                for id in waiting where ended[id] == nil { ended[id] = .stopped }
            }
            condition.broadcast()
            condition.unlock()
        }
    }
}

/// What all threads of a run share: whether to go on, and why not.
final class RunControl: @unchecked Sendable {
    private let lock = PThreadMutex()
    private var reason: String?

    var shouldContinue: Bool { lock.withLock { reason == nil } }
    var stopReason: String? { lock.withLock { reason } }

    /// Stops the run; the first reason is kept.
    func stop(_ why: String) {
        lock.withLock { if reason == nil { reason = why } }
    }

    /// Stops the run after an answer that every other request would get too: the token
    /// refused, the server away through every retry. Other answers change nothing.
    func stop(after result: APIResult) {
        switch result {
        case .unauthorized(let message): stop("the server refused the token: \(message)")
        case .unavailable(let message): stop("the server is unavailable: \(message)")
        case .success, .refused, .stopped: break
        }
    }
}
