import Dispatch
import Logging
import RagdCore

/// A set of dependency checks run side by side.
public final class Readiness: Sendable {
    /// One dependency check. `run` returns nil when healthy, else a message that names
    /// the problem without credentials. It must give up by itself after `timeout` seconds.
    public struct Check: Sendable {
        public var name: String
        public var run: @Sendable (_ timeout: Double) -> String?

        public init(name: String, run: @escaping @Sendable (Double) -> String?) {
            self.name = name
            self.run = run
        }
    }

    public struct Result: Sendable {
        public var name: String
        /// nil when healthy, else the check's message (for the log, not for the public
        /// answer: it names hosts and ports of the private network).
        public var outcome: String?
        /// The check did not answer within the timeout.
        public var timedOut = false
    }

    private let checks: [Check]
    private let timeout: Double
    private let cacheSeconds: Double
    /// Held while checking, so concurrent probes wait for one round instead of each
    /// opening connections of its own; guards `cached`.
    private let round = PThreadMutex()
    nonisolated(unsafe) private var cached: (at: UInt64, results: [Result])?
    private let logger = Logger(label: "ragd.ready")

    /// - `timeout`: the bound of each check (HEALTH_CHECK_TIMEOUT, default 2 s).
    /// - `cacheSeconds`: how long a round's results answer later probes (default 1 s), so
    ///   a probe storm costs each worker at most one round of fresh connections a second.
    public init(checks: [Check], timeout: Double, cacheSeconds: Double = 1) {
        self.checks = checks
        self.timeout = timeout
        self.cacheSeconds = cacheSeconds
    }

    /// The results of the last round if younger than `cacheSeconds`, else of a new one;
    /// probes that arrive during a round wait for it and share its results.
    public func run() -> [Result] {
        round.withLock {
            let now = Clock.monotonicNanoseconds()
            if let cached, Double(Clock.elapsed(from: cached.at, to: now)) / 1e9 < cacheSeconds {
                return cached.results
            }
            let results = runChecks()
            logChanges(from: cached?.results, to: results)
            cached = (Clock.monotonicNanoseconds(), results)
            return results
        }
    }

    /// The causes of failing checks go to the log, once per change of a check's outcome
    /// (not once per probe: a probe storm during an outage would flood the log).
    private func logChanges(from previous: [Result]?, to results: [Result]) {
        for (index, result) in results.enumerated() {
            let before = previous.map { $0[index].outcome } ?? nil
            guard result.outcome != before else { continue }
            if let outcome = result.outcome {
                logger.warning("readiness check failed", metadata: ["check": .string(result.name), "error": .string(outcome)])
            } else if previous != nil {
                logger.notice("readiness check passes again", metadata: ["check": .string(result.name)])
            }
        }
    }

    /// Runs every check concurrently and returns their results in registration order.
    /// A check that overruns its own timeout is reported as timed out; the probe does not
    /// wait for it beyond `timeout` plus a small grace.
    private func runChecks() -> [Result] {
        let box = ResultBox(count: checks.count)
        let group = DispatchGroup()
        for (index, check) in checks.enumerated() {
            group.enter()
            DispatchQueue.global().async {
                let outcome = check.run(self.timeout)
                box.set(index, outcome)
                group.leave()
            }
        }
        _ = group.wait(timeout: .now() + .milliseconds(Int(timeout * 1000) + 250))
        return checks.enumerated().map { index, check in
            if let outcome = box.get(index) { return Result(name: check.name, outcome: outcome) }
            return Result(name: check.name, outcome: "timed out after \(timeout) s", timedOut: true)
        }
    }
}

/// Results written by the check threads, read once the group is done or has timed out.
private final class ResultBox: @unchecked Sendable {
    private var values: [String??]
    private let lock = PThreadMutex()

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ outcome: String?) { lock.withLock { values[index] = .some(outcome) } }

    /// `.some(nil)` healthy, `.some(message)` failed, nil not finished.
    func get(_ index: Int) -> String?? { lock.withLock { values[index] } }
}
