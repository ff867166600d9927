import Crypto
import Foundation
import RagdCore

/// Settings of one `ragd ingest` run.
public struct IngestOptions: Sendable {
    public var connection: IngestConnection
    /// Upload requests at once (with `background`, each up to a batch of files). Default: 4.
    public var concurrency: Int = 4
    /// Queue the files as background jobs (`?async=true`, several files per request in the
    /// batch form) and wait for them, instead of a synchronous ingest per request.
    /// Default: false.
    public var background: Bool = false
    /// With `background`: files per upload request, and their bytes together. One request
    /// of 16 files costs the server one body, one transaction and a batch of jobs that its
    /// job runner ingests together, instead of 16 of each. Defaults: 16 files, 16 MiB.
    public var batchFiles: Int = 16
    public var batchBytes: Int = 16 << 20
    /// The resume journal. Default: `.ragd-ingest-state.jsonl` in the current directory.
    public var statePath: String = ".ragd-ingest-state.jsonl"
    /// Shell patterns on file names (`*.pdf`); none takes every supported file.
    public var globs: [String] = []
    /// Bar or lines; nil picks by whether stdout is a terminal.
    public var progressStyle: ProgressReporter.Style? = nil

    public init(connection: IngestConnection) {
        self.connection = connection
    }
}

/// What a run did.
public struct IngestSummary: Sendable {
    public var files = 0
    public var ingested = 0
    public var duplicates = 0
    public var unchanged = 0
    public var chunks = 0
    public var failures: [(path: String, reason: String)] = []
    /// Files not tried because the run stopped first.
    public var notAttempted = 0
    /// Why the run stopped early (token refused, server unavailable), or nil.
    public var stopped: String?
    public var seconds = 0.0

    /// 0: every file is on the server; 1: some files failed (listed); 2: the run stopped
    /// early (rerun to continue where it stopped).
    public var exitCode: Int32 { stopped != nil ? 2 : failures.isEmpty ? 0 : 1 }
}

/// `ragd ingest`: sends every supported file under the given paths to ragd through its
/// HTTP API, `concurrency` at a time, skipping what the resume state says is done.
public final class IngestRun: @unchecked Sendable {
    let paths: [String]
    let options: IngestOptions
    private let control = RunControl()
    private let lock = PThreadMutex()
    private var summary = IngestSummary()
    /// The next file of the scan to hand to a thread (under `lock`).
    private var nextFile = 0

    public init(paths: [String], options: IngestOptions) {
        self.paths = paths
        self.options = options
    }

    /// Runs to the end (or until a fatal error stops it) and returns what happened.
    /// Throws only when the run cannot start (the state file).
    public func run() throws -> IngestSummary {
        let started = Clock.monotonicNanoseconds()
        let scan = FileScanner.scan(paths, globs: options.globs)
        let tenant = Self.tenant(ofToken: options.connection.token) ?? "?"
        let state = try IngestState(path: options.statePath, target: options.connection.baseURL + " " + tenant)
        // Files the state says are done and unchanged (same size and time) cost nothing:
        // counted first, so the rate and ETA are those of the files that are sent.
        let (unchanged, files) = Self.partition(scan.files) { file in
            state.record(for: file.path).map { $0.status == .done && $0.describes(file) } ?? false
        }
        let progress = ProgressReporter(style: options.progressStyle, total: scan.files.count + scan.refused.count,
                                        totalBytes: files.reduce(0) { $0 + $1.size })
        summary.files = scan.files.count + scan.refused.count
        for refused in scan.refused {
            summary.failures.append((refused.path, refused.reason))
            progress.fileFinished(IngestFile(path: refused.path, displayPath: refused.path, size: 0, modifiedNanoseconds: 0,
                                             format: .plainText), .failed(refused.reason))
        }
        if scan.ignored > 0 {
            progress.note("ignored \(scan.ignored) file(s) of other types (supported: \(FileScanner.supportedExtensions))")
        }
        for file in unchanged {
            record(file, .unchanged)
            progress.fileFinished(file, .unchanged)
        }

        let watcher = try JobWatcher(api: IngestAPI(options.connection, shouldContinue: { [control] in control.shouldContinue }),
                                     control: control, progress: progress)
        let group = DispatchGroup()
        var setupError: Error?
        for index in 0..<max(1, min(options.concurrency, files.count)) {
            let api: IngestAPI
            do {
                api = try IngestAPI(options.connection, shouldContinue: { [control] in control.shouldContinue })
            } catch {
                setupError = error
                break
            }
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                while true {
                    let group = takeFiles(from: files)
                    guard !group.isEmpty else { return }
                    guard control.shouldContinue else {
                        lock.withLock { summary.notAttempted += group.count }
                        continue
                    }
                    let outcomes = process(group, api: api, state: state, watcher: watcher, progress: progress)
                    for (file, outcome) in zip(group, outcomes) {
                        guard let outcome else {
                            lock.withLock { summary.notAttempted += 1 }
                            continue
                        }
                        record(file, outcome)
                        progress.fileFinished(file, outcome)
                    }
                }
            }
            thread.name = "ragd-ingest-\(index)"
            thread.start()
        }
        // The bar's rate and ETA move while long uploads are in flight.
        let ticking = progress.style == .bar
        if ticking {
            while group.wait(timeout: .now() + 0.25) == .timedOut { progress.tick() }
        } else {
            group.wait()
        }
        watcher.stop()
        if let setupError { throw setupError }
        try? state.compact()
        progress.close()
        return lock.withLock {
            summary.stopped = control.stopReason
            summary.seconds = Double(Clock.monotonicNanoseconds() - started) / 1e9
            return summary
        }
    }

    /// The next files to send: one, or with `background` as many as one batch request
    /// takes (`batchFiles`, `batchBytes`; a larger file goes alone).
    private func takeFiles(from files: [IngestFile]) -> [IngestFile] {
        lock.withLock {
            var group: [IngestFile] = []
            var bytes = 0
            while nextFile < files.count {
                let file = files[nextFile]
                if !group.isEmpty {
                    guard options.background, group.count < options.batchFiles, bytes + file.size <= options.batchBytes else { break }
                }
                group.append(file)
                bytes += file.size
                nextFile += 1
            }
            return group
        }
    }

    private func record(_ file: IngestFile, _ outcome: FileOutcome) {
        lock.withLock {
            switch outcome {
            case .ingested(_, let chunks): summary.ingested += 1; summary.chunks += chunks
            case .duplicate: summary.duplicates += 1
            case .unchanged: summary.unchanged += 1
            case .failed(let why): summary.failures.append((file.displayPath, why))
            }
        }
    }

    /// What reading a file before sending it gave: the bytes to send, or the file's end.
    private enum Readied {
        case send(content: [UInt8], sha256: String)
        case ended(FileOutcome?)
    }

    /// The files `takeFiles` handed out, start to end (nil for a file the run stopped
    /// before): one file in its own request, or (a background run's group) several in one
    /// batch request. A refused batch (one file the server cannot read refuses the whole
    /// request, and queues nothing) is sent again file by file, so that each file ends with
    /// its own answer.
    private func process(_ group: [IngestFile], api: IngestAPI, state: IngestState, watcher: JobWatcher,
                              progress: ProgressReporter) -> [FileOutcome?] {
        var outcomes = [FileOutcome?](repeating: nil, count: group.count)
        var sending: [(index: Int, content: [UInt8], sha256: String)] = []
        for (index, file) in group.enumerated() {
            switch ready(file, state: state, watcher: watcher) {
            case .send(let content, let sha256): sending.append((index, content, sha256))
            case .ended(let outcome): outcomes[index] = outcome
            }
        }
        if sending.count == 1, let only = sending.first {
            outcomes[only.index] = send(group[only.index], content: only.content, sha256: only.sha256, api: api, state: state,
                                        watcher: watcher, progress: progress)
            return outcomes
        }
        guard !sending.isEmpty else { return outcomes }
        let result = api.uploadBatch(sending.map { (group[$0.index], $0.content) })
        switch result {
        case .success(let status, let body):
            let jobs = (body["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            guard status == 202, jobs.count == sending.count else {
                for item in sending { outcomes[item.index] = .failed("unexpected answer \(status) to a batch upload") }
                return outcomes
            }
            // Every job is recorded before the first wait: a run killed while waiting
            // leaves the whole batch to the next run's waits, none sent twice.
            for (item, job) in zip(sending, jobs) {
                outcomes[item.index] = queued(group[item.index], sha256: item.sha256, job: job, state: state, progress: progress)
            }
            for (item, job) in zip(sending, jobs) where outcomes[item.index] == nil {
                outcomes[item.index] = awaitJob(job, file: group[item.index], sha256: item.sha256, state: state, watcher: watcher)
            }
        case .refused:
            for item in sending {
                outcomes[item.index] = send(group[item.index], content: item.content, sha256: item.sha256, api: api,
                                            state: state, watcher: watcher, progress: progress)
            }
        case .unauthorized, .unavailable, .stopped:
            control.stop(after: result)
        }
        return outcomes
    }

    /// Everything before sending a file: skipped when the state says it is done, waited
    /// for when an interrupted run queued it, else read and hashed.
    private func ready(_ file: IngestFile, state: IngestState, watcher: JobWatcher) -> Readied {
        let previous = state.record(for: file.path)
        if let previous, previous.status == .done, previous.describes(file) { return .ended(.unchanged) }
        // A job queued by an interrupted run: wait for it rather than send the file again.
        if options.background, let previous, previous.status == .submitted, previous.describes(file), let job = previous.jobID {
            switch watcher.wait(for: job) {
            case .succeeded(let documentID, let chunks, let duplicate):
                return .ended(finish(file, sha256: previous.sha256, documentID: documentID, chunks: chunks, duplicate: duplicate,
                                     state: state))
            case .stopped:
                return .ended(nil)
            case .failed, .missing:
                break // sent again
            }
        }
        let content: [UInt8]
        do {
            content = Array(try Data(contentsOf: URL(fileURLWithPath: file.path)))
        } catch {
            return .ended(.failed("cannot be read: \((error as NSError).localizedDescription)"))
        }
        let sha256 = Self.sha256Hex(content)
        // Touched but not changed (a checkout, a copy): done, without sending it again.
        if let previous, previous.status == .done, previous.sha256 == sha256 {
            var updated = previous
            updated.size = file.size
            updated.modifiedNanoseconds = file.modifiedNanoseconds
            do { try state.save(updated) } catch { return .ended(.failed(String(describing: error))) }
            return .ended(.unchanged)
        }
        return .send(content: content, sha256: sha256)
    }

    /// Sends one file in its own request; with `background`, waits for its job.
    private func send(_ file: IngestFile, content: [UInt8], sha256: String, api: IngestAPI, state: IngestState,
                      watcher: JobWatcher, progress: ProgressReporter) -> FileOutcome? {
        let result = api.upload(file, content: content, background: options.background)
        switch result {
        case .success(let status, let body):
            if options.background {
                guard status == 202, let job = body["id"] as? String else {
                    return .failed("unexpected answer \(status) to a background upload")
                }
                return queued(file, sha256: sha256, job: job, state: state, progress: progress)
                    ?? awaitJob(job, file: file, sha256: sha256, state: state, watcher: watcher)
            }
            guard let id = body["id"] as? String else { return .failed("unexpected answer \(status) without a document id") }
            let chunks = (body["chunks"] as? NSNumber)?.intValue ?? 0
            return finish(file, sha256: sha256, documentID: id, chunks: chunks, duplicate: body["duplicate"] as? Bool ?? false,
                          state: state)
        case .refused(_, let message):
            return .failed(message)
        case .unauthorized, .unavailable, .stopped:
            control.stop(after: result)
            return nil
        }
    }

    /// Records in the resume state that `file` was queued as `job` (and says so in line
    /// mode); nil when recorded, else the file's failure.
    private func queued(_ file: IngestFile, sha256: String, job: String, state: IngestState,
                        progress: ProgressReporter) -> FileOutcome? {
        do {
            try state.save(FileRecord(path: file.path, size: file.size, modifiedNanoseconds: file.modifiedNanoseconds,
                                      sha256: sha256, status: .submitted, jobID: job))
        } catch {
            return .failed(String(describing: error))
        }
        if progress.style == .lines { progress.note("queued \(file.displayPath) as job \(job)") }
        return nil
    }

    /// Waits for the job that `file` was queued as; nil when the run stopped first.
    private func awaitJob(_ job: String, file: IngestFile, sha256: String, state: IngestState,
                          watcher: JobWatcher) -> FileOutcome? {
        switch watcher.wait(for: job) {
        case .succeeded(let documentID, let chunks, let duplicate):
            return finish(file, sha256: sha256, documentID: documentID, chunks: chunks, duplicate: duplicate, state: state)
        case .failed(let why):
            return .failed("the job failed: " + why)
        case .missing:
            return .failed("the server lost job \(job)")
        case .stopped:
            return nil
        }
    }

    private func finish(_ file: IngestFile, sha256: String, documentID: String, chunks: Int, duplicate: Bool,
                        state: IngestState) -> FileOutcome {
        do {
            try state.save(FileRecord(path: file.path, size: file.size, modifiedNanoseconds: file.modifiedNanoseconds,
                                      sha256: sha256, status: .done, documentID: documentID, chunks: chunks))
        } catch {
            return .failed(String(describing: error))
        }
        return duplicate ? .duplicate(documentID: documentID, chunks: chunks) : .ingested(documentID: documentID, chunks: chunks)
    }

    static func partition<T>(_ items: [T], _ isFirst: (T) -> Bool) -> (first: [T], rest: [T]) {
        var first: [T] = [], rest: [T] = []
        for item in items { if isFirst(item) { first.append(item) } else { rest.append(item) } }
        return (first, rest)
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        Hex.lowercase(SHA256.hash(data: bytes))
    }

    /// The `tenant` claim of a JWT, read without verifying it (the server verifies): the
    /// resume state is kept per tenant, and tokens of one tenant come and go.
    public static func tenant(ofToken token: String) -> String? {
        let pieces = token.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count == 3 else { return nil }
        var base64 = pieces[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64),
              let claims = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        return claims["tenant"] as? String
    }
}
