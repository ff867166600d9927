import CRagdShim
import Logging
import RagdCore
import RagdFastCGI
import RagdMetrics
#if canImport(Glibc)
import Glibc
#endif

/// The master process: forks workers and supervises them; never serves, never starts a
/// thread (so fork stays safe). Modelled on gunicorn's arbiter and php-fpm's master.
///
/// Signals: TERM graceful stop; INT/QUIT fast stop; HUP reload and replace every worker;
/// TTIN/TTOU one worker more/less.
public final class Arbiter {
    /// Why a worker left the pool; also a metric label later, so keep the set small.
    public enum ExitReason: String, Sendable, CaseIterable {
        case exit, crash, timeout, maxRequests = "max_requests", reload, scaleDown = "scale_down", shutdown
    }

    private struct WorkerRecord {
        var slot: Int
        var generation: UInt64
        var spawnedAt: UInt64
        /// Set once the master asked this worker to go; its exit is then expected.
        var retiring: ExitReason?
        var retireDeadline: UInt64 = 0
        /// Set when the master killed it for a timeout.
        var killedFor: ExitReason?
    }

    private let listener: FastCGIListener
    private let scoreboard: Scoreboard
    private let metrics: MetricsStore
    private let view: PoolView
    /// The master's own cell set in the metrics store (after the worker slots').
    private var masterWriter: Int { scoreboard.slotCount }
    private let loadGeneration: () throws -> PoolGeneration
    private let logger: Logger

    private var current: PoolGeneration
    private var generationNumber: UInt64 = 1
    private var targetWorkers: Int
    private var workers: [pid_t: WorkerRecord] = [:]
    private var freeSlots: [Int]
    /// Slots whose worker died and is to be replaced, with the earliest time to do it.
    private var respawns: [(slot: Int, notBefore: UInt64)] = []
    private var quickFailures = 0
    private var phase = Phase.running

    /// Running, or stopping: every worker has been told to go and the master waits for them.
    private enum Phase {
        case running
        case stopping(Stop)
    }

    private struct Stop {
        /// TERM lets in-flight requests finish; INT/QUIT (or a second, harsher signal) does not.
        var graceful: Bool
        /// Past this, the workers still running are killed.
        var deadline: UInt64
        /// The master's exit status once the last worker is gone.
        var status: Int32
        /// A halt has already said why; no "master stopped" line after it.
        var quiet: Bool
        var forced = false
    }

    private static let handledSignals = [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGTTIN, SIGTTOU, SIGCHLD]
    /// A worker that dies sooner than this after its spawn counts towards the crash-loop backoff.
    private static let quickFailureWindow: UInt64 = 5_000_000_000
    private static let backoffBase = 0.1, backoffCap = 10.0

    /// - `load`: loads and validates configuration; called now and on every HUP.
    /// - `metrics`: the shared metrics store, with `scoreboard.slotCount + 1` writers.
    public init(listener: FastCGIListener, scoreboard: Scoreboard, metrics: MetricsStore, initial: PoolGeneration,
                load: @escaping () throws -> PoolGeneration, logger: Logger = Logger(label: "ragd.master")) {
        precondition(metrics.writerCount > scoreboard.slotCount, "the metrics store needs a writer for the master")
        self.listener = listener
        self.scoreboard = scoreboard
        self.metrics = metrics
        self.view = PoolView(scoreboard: scoreboard, metrics: metrics, listenFD: listener.fd)
        self.current = initial
        self.loadGeneration = load
        self.logger = logger
        self.targetWorkers = initial.configuration.workers
        self.freeSlots = Array((0..<scoreboard.slotCount).reversed())
    }

    /// Runs until stopped; returns the process exit status (0, or 3 when a worker could not boot).
    public func run() throws -> Int32 {
        let signals = try SignalQueue.open(watching: Self.handledSignals)
        _ = CRagdShim_signal_ignore(SIGPIPE)
        scoreboard.setMaster(pid: getpid(), startTime: Clock.wallSeconds())
        // Every reason is a series from the start, so dashboards see zeros, not gaps.
        for reason in ExitReason.allCases where reason != .shutdown { _ = restartSeries(reason) }
        logger.info("master started", metadata: [
            "listen": .string(listener.address.description), "workers": .stringConvertible(targetWorkers),
            "threads": .stringConvertible(current.configuration.threads),
        ])
        while true {
            if let status = supervise() { return status }
            for signal in signals.wait(timeout: isRunning ? 0.25 : 0.1) { handle(signal) }
            reap()
        }
    }

    private var isRunning: Bool {
        if case .running = phase { return true }
        return false
    }

    /// One round of supervision; the exit status once a stop has finished.
    private func supervise() -> Int32? {
        switch phase {
        case .running:
            murderWorkers()
            manageWorkers()
            sampleLoad()
            return nil
        case .stopping(var stop):
            if workers.isEmpty {
                listener.close(removeSocketFile: true)
                if !stop.quiet { logger.info("master stopped") }
                return stop.status
            }
            if !stop.forced && Clock.monotonicNanoseconds() >= stop.deadline {
                logger.warning("workers still running at the stop deadline; killing them", metadata: [
                    "workers": .array(workers.keys.sorted().map { .stringConvertible($0) }),
                ])
                for pid in workers.keys { kill(pid, SIGKILL) }
                stop.forced = true
                phase = .stopping(stop)
            }
            return nil
        }
    }

    /// The one place a signal to the master is acted on, running or stopping.
    private func handle(_ signal: Int32) {
        guard case .running = phase else {
            // A second, harsher signal during a graceful stop: the workers stop at once.
            if case .stopping(var stop) = phase, stop.graceful, signal == SIGINT || signal == SIGQUIT {
                stop.graceful = false
                phase = .stopping(stop)
                for pid in workers.keys { kill(pid, SIGINT) }
            }
            return
        }
        switch signal {
        case SIGTERM:
            logger.info("graceful stop requested", metadata: ["signal": "TERM"])
            beginStop(graceful: true, status: 0)
        case SIGINT, SIGQUIT:
            logger.info("fast stop requested", metadata: ["signal": .string(signalName(signal))])
            beginStop(graceful: false, status: 0)
        case SIGHUP:
            reload()
        case SIGTTIN:
            if freeSlots.isEmpty {
                logger.warning("TTIN ignored: the scoreboard is full", metadata: ["slots": .stringConvertible(scoreboard.slotCount)])
            } else {
                targetWorkers += 1
                logger.info("adding a worker", metadata: ["signal": "TTIN", "workers": .stringConvertible(targetWorkers)])
            }
        case SIGTTOU:
            if targetWorkers > 1 {
                targetWorkers -= 1
                logger.info("removing a worker", metadata: ["signal": "TTOU", "workers": .stringConvertible(targetWorkers)])
            } else {
                logger.info("TTOU ignored: at least one worker stays", metadata: ["signal": "TTOU"])
            }
        default:
            break // SIGCHLD only wakes us up; reaping follows
        }
    }

    /// Samples what only makes sense as a maximum over time: the listen queue and the
    /// number of busy threads (php-fpm's "max listen queue" and "max active processes").
    private func sampleLoad() {
        view.sampleListenQueue()
        var busy = 0
        for record in workers.values { busy += scoreboard.busyThreads(slot: record.slot) }
        scoreboard.recordBusyThreads(busy)
    }

    private func restartSeries(_ reason: ExitReason) -> MetricsStore.Series {
        metrics.series(metrics.family(MetricCatalog.workerRestarts.name), [reason.rawValue])
    }

    // MARK: spawning

    private func activeWorkers() -> [(pid: pid_t, record: WorkerRecord)] {
        workers.filter { $0.value.retiring == nil && $0.value.generation == generationNumber }
            .map { (pid: $0.key, record: $0.value) }
    }

    /// Brings the current generation to `targetWorkers` and retires what is surplus:
    /// extra workers after TTOU, and the previous generation once the new one is up.
    private func manageWorkers() {
        let now = Clock.monotonicNanoseconds()
        var active = activeWorkers()

        // Replace dead workers whose backoff has passed, in their own slots.
        var waiting: [(slot: Int, notBefore: UInt64)] = []
        for entry in respawns {
            if entry.notBefore <= now && active.count < targetWorkers {
                spawnWorker(slot: entry.slot)
            } else if active.count + waiting.count < targetWorkers {
                waiting.append(entry)
            } else {
                releaseSlot(entry.slot)
            }
            active = activeWorkers()
        }
        respawns = waiting

        while active.count + respawns.count < targetWorkers, let slot = freeSlots.popLast() {
            spawnWorker(slot: slot)
            active = activeWorkers()
        }
        if active.count + respawns.count < targetWorkers && freeSlots.isEmpty {
            logger.warning("scoreboard full: cannot start more workers", metadata: ["slots": .stringConvertible(scoreboard.slotCount)])
        }

        // Too many (TTOU): retire the oldest, as gunicorn does.
        if active.count > targetWorkers {
            for victim in active.sorted(by: { $0.record.spawnedAt < $1.record.spawnedAt }).prefix(active.count - targetWorkers) {
                retire(victim.pid, reason: .scaleDown)
            }
        }

        // Reload: retire the old generation only once the new one is serving, so there is
        // always a worker accepting and no request waits on an empty pool.
        let old = workers.filter { $0.value.generation != generationNumber && $0.value.retiring == nil }
        if !old.isEmpty {
            let running = activeWorkers().filter { scoreboard.state(slot: $0.record.slot) == .running }.count
            let waitedTooLong = old.values.contains { Clock.elapsed(from: $0.spawnedAt, to: now) > seconds(current.configuration.workerTimeout) * 2 }
            if running >= targetWorkers || (running > 0 && waitedTooLong) {
                for pid in old.keys { retire(pid, reason: .reload) }
            }
        }
    }

    private func spawnWorker(slot: Int) {
        let now = Clock.monotonicNanoseconds()
        scoreboard.claim(slot: slot, generation: generationNumber, now: now)
        let generation = current
        let masterPID = getpid()
        let pid = fork()
        if pid < 0 {
            logger.error("fork failed", metadata: ["error": .string(String(cString: strerror(errno)))])
            respawns.append((slot: slot, notBefore: now + seconds(1)))
            return
        }
        if pid == 0 {
            SignalQueue.resetInChild(Self.handledSignals)
            scoreboard.setPID(slot: slot, getpid())
            Worker.run(slot: slot, generation: generation, listener: listener, scoreboard: scoreboard, view: view,
                       metrics: metrics, masterPID: masterPID)
        }
        scoreboard.setPID(slot: slot, pid)
        workers[pid] = WorkerRecord(slot: slot, generation: generationNumber, spawnedAt: now)
        logger.info("worker spawned", metadata: ["worker_pid": .stringConvertible(pid), "slot": .stringConvertible(slot)])
    }

    private func retire(_ pid: pid_t, reason: ExitReason) {
        guard var record = workers[pid], record.retiring == nil else { return }
        record.retiring = reason
        record.retireDeadline = Clock.monotonicNanoseconds() + seconds(current.configuration.gracefulTimeout)
        workers[pid] = record
        kill(pid, SIGTERM)
    }

    private func releaseSlot(_ slot: Int) {
        scoreboard.release(slot: slot)
        freeSlots.append(slot)
    }

    // MARK: reaping

    /// Collects every worker that has exited, running or stopping.
    private func reap() {
        while true {
            var status: Int32 = 0
            var usage = rusage()
            let pid = wait4(-1, &status, WNOHANG, &usage)
            if pid <= 0 { return }
            scoreboard.addDeadWorkerCPU(nanoseconds: Self.cpuNanoseconds(usage))
            guard let record = workers.removeValue(forKey: pid) else { continue }
            // While stopping, an exit is what was asked for: nothing to count or replace.
            if isRunning { handleExit(pid: pid, record: record, status: status) }
        }
    }

    private func handleExit(pid: pid_t, record: WorkerRecord, status: Int32) {
        let now = Clock.monotonicNanoseconds()
        let exited = CRagdShim_WIFEXITED(status) != 0
        let code = exited ? CRagdShim_WEXITSTATUS(status) : 0
        let signal = CRagdShim_WIFSIGNALED(status) != 0 ? CRagdShim_WTERMSIG(status) : 0
        let bootError = scoreboard.bootError(slot: record.slot)

        if exited && code == Worker.bootErrorStatus && !bootError.isEmpty {
            // A worker that cannot boot will not boot on retry either; forking on would be
            // a fork storm. Stop the pool with one clear line, as gunicorn does.
            releaseSlot(record.slot)
            logger.critical("worker failed to boot, stopping: \(bootError)")
            beginStop(graceful: false, status: Worker.bootErrorStatus, quiet: true)
            return
        }

        let reason: ExitReason
        if let retiring = record.retiring {
            reason = retiring
        } else if let killedFor = record.killedFor {
            reason = killedFor
        } else if exited && code == 0 {
            reason = scoreboard.exitNote(slot: record.slot) == .maxRequests ? .maxRequests : .exit
        } else {
            reason = .crash
        }

        metrics.add(restartSeries(reason), writer: masterWriter)
        var metadata: Logger.Metadata = [
            "worker_pid": .stringConvertible(pid), "slot": .stringConvertible(record.slot), "reason": .string(reason.rawValue),
        ]
        if exited { metadata["exit_status"] = .stringConvertible(code) } else { metadata["signal"] = .string(signalName(signal)) }
        if reason == .crash || reason == .exit {
            logger.error("worker died", metadata: metadata)
        } else {
            logger.info("worker exited", metadata: metadata)
        }

        let replace = record.retiring == nil && record.generation == generationNumber
        guard replace else {
            releaseSlot(record.slot)
            return
        }
        var delay = 0.0
        if reason == .crash || reason == .exit {
            if Clock.elapsed(from: record.spawnedAt, to: now) < Self.quickFailureWindow {
                quickFailures += 1
            } else {
                quickFailures = 0
            }
            // One early death (an operator's kill -9) is replaced at once; from the second
            // in a row the delay doubles: 0.1 s, 0.2 s, ... up to 10 s.
            if quickFailures >= 2 {
                delay = min(Self.backoffBase * pow(2, Double(quickFailures - 2)), Self.backoffCap)
                logger.warning("worker crash loop: delaying respawn", metadata: [
                    "slot": .stringConvertible(record.slot), "delay_s": .stringConvertible(delay),
                    "consecutive_failures": .stringConvertible(quickFailures),
                ])
            }
        }
        respawns.append((slot: record.slot, notBefore: now + seconds(delay)))
    }

    // MARK: timeouts

    /// Kills workers whose heartbeat stalled past WORKER_TIMEOUT or whose request ran past
    /// REQUEST_TIMEOUT, and stopping workers past GRACEFUL_TIMEOUT.
    private func murderWorkers() {
        let now = Clock.monotonicNanoseconds()
        let configuration = current.configuration
        for (pid, record) in workers where record.killedFor == nil {
            if record.retiring != nil {
                if now > record.retireDeadline {
                    logger.warning("worker did not stop within the graceful timeout; killing it", metadata: [
                        "worker_pid": .stringConvertible(pid), "requests": .array(inFlight(slot: record.slot, now: now)),
                    ])
                    kill(pid, SIGKILL)
                    workers[pid]?.killedFor = record.retiring
                }
                continue
            }
            let silence = Clock.elapsed(from: scoreboard.heartbeat(slot: record.slot), to: now)
            if silence > seconds(configuration.workerTimeout) {
                logger.error("worker timeout: no heartbeat; killing it", metadata: [
                    "worker_pid": .stringConvertible(pid), "silent_s": .stringConvertible(Double(silence) / 1e9),
                    "requests": .array(inFlight(slot: record.slot, now: now)),
                ])
                kill(pid, SIGKILL)
                workers[pid]?.killedFor = .timeout
                continue
            }
            guard configuration.requestTimeout > 0 else { continue }
            for thread in 0..<min(scoreboard.threads(slot: record.slot), scoreboard.threadCapacity) {
                guard let request = scoreboard.currentRequest(slot: record.slot, thread: thread),
                      Clock.elapsed(from: request.started, to: now) > seconds(configuration.requestTimeout) else { continue }
                logger.error("request timeout: killing its worker", metadata: [
                    "worker_pid": .stringConvertible(pid), "request": .string(request.summary),
                    "running_s": .stringConvertible(Double(Clock.elapsed(from: request.started, to: now)) / 1e9),
                    "request_timeout_s": .stringConvertible(configuration.requestTimeout),
                ])
                kill(pid, SIGKILL)
                workers[pid]?.killedFor = .timeout
                break
            }
        }
    }

    private func inFlight(slot: Int, now: UInt64) -> [Logger.Metadata.Value] {
        (0..<min(scoreboard.threads(slot: slot), scoreboard.threadCapacity)).compactMap { thread in
            scoreboard.currentRequest(slot: slot, thread: thread).map {
                .string("\($0.summary) running_s=\(Double(Clock.elapsed(from: $0.started, to: now)) / 1e9)")
            }
        }
    }

    // MARK: reload and stop

    private func reload() {
        let next: PoolGeneration
        do {
            next = try loadGeneration()
        } catch {
            logger.error("reload failed; keeping the running configuration", metadata: ["error": .string(String(describing: error))])
            return
        }
        guard next.configuration.threads <= scoreboard.threadCapacity else {
            logger.error("reload failed; keeping the running configuration", metadata: [
                "error": .string("THREADS=\(next.configuration.threads) exceeds this master's capacity of \(scoreboard.threadCapacity); restart to raise it"),
            ])
            return
        }
        current = next
        generationNumber += 1
        targetWorkers = next.configuration.workers
        // Pending respawns belong to the old generation.
        for entry in respawns { releaseSlot(entry.slot) }
        respawns = []
        quickFailures = 0
        logger.info("reloading: replacing every worker", metadata: [
            "signal": "HUP", "workers": .stringConvertible(targetWorkers), "threads": .stringConvertible(next.configuration.threads),
        ])
        manageWorkers()
    }

    /// Tells every worker to go; graceful lets in-flight requests finish up to GRACEFUL_TIMEOUT.
    /// The master then only waits for them (`supervise`), killing what is left at the deadline.
    private func beginStop(graceful: Bool, status: Int32, quiet: Bool = false) {
        let deadline = Clock.monotonicNanoseconds() + seconds(graceful ? current.configuration.gracefulTimeout : 2)
        phase = .stopping(Stop(graceful: graceful, deadline: deadline, status: status, quiet: quiet))
        for pid in workers.keys { kill(pid, graceful ? SIGTERM : SIGINT) }
    }

    private func seconds(_ value: Double) -> UInt64 { UInt64(max(0, value) * 1e9) }

    private static func cpuNanoseconds(_ usage: rusage) -> UInt64 {
        func ns(_ t: timeval) -> UInt64 { UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_usec) * 1000 }
        return ns(usage.ru_utime) + ns(usage.ru_stime)
    }
}
