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
///
/// What to do is decided by `ArbiterStateMachine`; this class only performs it (fork, kill,
/// wait4, the scoreboard, logs and metrics) and tells the machine what happened.
public final class Arbiter {
    /// Why a worker left the pool; also a metric label later, so keep the set small.
    public enum ExitReason: String, Sendable, CaseIterable {
        case exit, crash, timeout, maxRequests = "max_requests", reload, scaleDown = "scale_down", shutdown
    }

    private typealias Machine = ArbiterStateMachine

    private let listener: FastCGIListener
    private let scoreboard: Scoreboard
    private let metrics: MetricsStore
    private let view: PoolView
    /// The master's own cell set in the metrics store (after the worker slots').
    private var masterWriter: Int { scoreboard.slotCount }
    private let loadGeneration: () throws -> PoolGeneration
    private let logger: Logger

    /// The configuration new workers are forked with; the machine knows only its numbers.
    private var current: PoolGeneration
    private var machine: Machine

    private static let handledSignals: [(number: Int32, signal: Machine.Signal)] = [
        (SIGTERM, .term), (SIGINT, .int), (SIGQUIT, .quit), (SIGHUP, .hup), (SIGTTIN, .ttin), (SIGTTOU, .ttou), (SIGCHLD, .chld),
    ]

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
        self.machine = Machine(configuration: initial.configuration, slotCount: scoreboard.slotCount)
    }

    /// Runs until stopped; returns the process exit status (0, or 3 when a worker could not boot).
    public func run() throws -> Int32 {
        let signals = try SignalQueue.open(watching: Self.handledSignals.map(\.number))
        _ = CRagdShim_signal_ignore(SIGPIPE)
        scoreboard.setMaster(pid: getpid(), startTime: Clock.wallSeconds())
        // Every reason is a series from the start, so dashboards see zeros, not gaps.
        for reason in ExitReason.allCases where reason != .shutdown { _ = restartSeries(reason) }
        logger.info("master started", metadata: [
            "listen": .string(listener.address.description), "workers": .stringConvertible(machine.targetWorkers),
            "threads": .stringConvertible(current.configuration.threads),
        ])
        while true {
            let observations = machine.isRunning ? observeWorkers() : [:]
            if let status = perform(machine.tick(at: Clock.monotonicNanoseconds(), observing: observations), observations) {
                return status
            }
            if machine.isRunning { sampleLoad() }
            // While stopping, look more often: the exit follows the last worker's.
            for number in signals.wait(timeout: machine.isRunning ? 0.25 : 0.1) {
                handle(number)
            }
            reap()
        }
    }

    /// The one place a signal to the master arrives, running or stopping.
    private func handle(_ number: Int32) {
        guard let signal = Self.handledSignals.first(where: { $0.number == number })?.signal else { return }
        perform(machine.handle(signal, at: Clock.monotonicNanoseconds()))
    }

    /// Collects every worker that has exited, running or stopping.
    private func reap() {
        while true {
            var status: Int32 = 0
            var usage = rusage()
            let pid = wait4(-1, &status, WNOHANG, &usage)
            if pid <= 0 { return }
            scoreboard.addDeadWorkerCPU(nanoseconds: Self.cpuNanoseconds(usage))
            guard let slot = machine.slot(of: pid) else { continue }
            let termination: Machine.Termination = CRagdShim_WIFEXITED(status) != 0
                ? .exited(status: CRagdShim_WEXITSTATUS(status))
                : .signaled(CRagdShim_WIFSIGNALED(status) != 0 ? CRagdShim_WTERMSIG(status) : 0)
            let report = Machine.ExitReport(termination: termination, bootError: scoreboard.bootError(slot: slot),
                                            servedMaxRequests: scoreboard.exitNote(slot: slot) == .maxRequests)
            perform(machine.exited(pid: pid, report, at: Clock.monotonicNanoseconds()))
        }
    }

    /// What the scoreboard shows of every worker, for the machine's timeout and reload decisions.
    private func observeWorkers() -> [Int: Machine.Observation] {
        var observations: [Int: Machine.Observation] = [:]
        for slot in machine.workerSlots {
            let requests = (0..<min(scoreboard.threads(slot: slot), scoreboard.threadCapacity)).compactMap { thread in
                scoreboard.currentRequest(slot: slot, thread: thread).map {
                    Machine.Request(thread: thread, started: $0.started, summary: $0.summary)
                }
            }
            observations[slot] = Machine.Observation(heartbeat: scoreboard.heartbeat(slot: slot),
                                                     running: scoreboard.state(slot: slot) == .running, requests: requests)
        }
        return observations
    }

    /// Samples what only makes sense as a maximum over time: the listen queue and the
    /// number of busy threads (php-fpm's "max listen queue" and "max active processes").
    private func sampleLoad() {
        view.sampleListenQueue()
        scoreboard.recordBusyThreads(machine.workerSlots.reduce(0) { $0 + scoreboard.busyThreads(slot: $1) })
    }

    private func restartSeries(_ reason: ExitReason) -> MetricsStore.Series {
        metrics.series(metrics.family(MetricCatalog.workerRestarts.name), [reason.rawValue])
    }

    // MARK: performing the machine's actions

    /// Performs `actions` in order; the exit status once the machine says the pool is finished.
    /// `observations` are those the actions were decided on, for the log lines that name requests.
    @discardableResult
    private func perform(_ actions: [Machine.Action], _ observations: [Int: Machine.Observation] = [:]) -> Int32? {
        for action in actions {
            switch action {
            case .spawn(let slot):
                spawnWorker(slot: slot)
            case .signal(let signal, let pid):
                switch signal {
                case .term: kill(pid, SIGTERM)
                case .int: kill(pid, SIGINT)
                case .kill: kill(pid, SIGKILL)
                }
            case .reload:
                reload()
            case .recordExit(let pid, let slot, let reason, let termination):
                recordExit(pid: pid, slot: slot, reason: reason, termination: termination)
            case .releaseSlot(let slot):
                scoreboard.release(slot: slot)
            case .note(let note):
                log(note, observations)
            case .finish(let status, let quiet):
                listener.close(removeSocketFile: true)
                if !quiet { logger.info("master stopped") }
                return status
            }
        }
        return nil
    }

    private func spawnWorker(slot: Int) {
        let now = Clock.monotonicNanoseconds()
        scoreboard.claim(slot: slot, generation: machine.generation, now: now)
        let generation = current
        let masterPID = getpid()
        let pid = fork()
        if pid < 0 {
            logger.error("fork failed", metadata: ["error": .string(String(cString: strerror(errno)))])
            machine.spawnFailed(slot: slot, at: now)
            return
        }
        if pid == 0 {
            SignalQueue.resetInChild(Self.handledSignals.map(\.number))
            scoreboard.setPID(slot: slot, getpid())
            Worker.run(slot: slot, generation: generation, listener: listener, scoreboard: scoreboard, view: view,
                       metrics: metrics, masterPID: masterPID)
        }
        scoreboard.setPID(slot: slot, pid)
        machine.spawned(pid: pid, slot: slot, at: now)
        logger.info("worker spawned", metadata: ["worker_pid": .stringConvertible(pid), "slot": .stringConvertible(slot)])
    }

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
        perform(machine.reloaded(next.configuration))
    }

    private func recordExit(pid: pid_t, slot: Int, reason: ExitReason, termination: Machine.Termination) {
        metrics.add(restartSeries(reason), writer: masterWriter)
        var metadata: Logger.Metadata = [
            "worker_pid": .stringConvertible(pid), "slot": .stringConvertible(slot), "reason": .string(reason.rawValue),
        ]
        switch termination {
        case .exited(let status): metadata["exit_status"] = .stringConvertible(status)
        case .signaled(let signal): metadata["signal"] = .string(signalName(signal))
        }
        if reason == .crash || reason == .exit {
            logger.error("worker died", metadata: metadata)
        } else {
            logger.info("worker exited", metadata: metadata)
        }
    }

    // MARK: log lines

    private func log(_ note: Machine.Note, _ observations: [Int: Machine.Observation]) {
        switch note {
        case .gracefulStop:
            logger.info("graceful stop requested", metadata: ["signal": "TERM"])
        case .fastStop(let signal):
            logger.info("fast stop requested", metadata: ["signal": .string(signal.rawValue)])
        case .reloading(let workers):
            logger.info("reloading: replacing every worker", metadata: [
                "signal": "HUP", "workers": .stringConvertible(workers), "threads": .stringConvertible(current.configuration.threads),
            ])
        case .addingWorker(let workers):
            logger.info("adding a worker", metadata: ["signal": "TTIN", "workers": .stringConvertible(workers)])
        case .removingWorker(let workers):
            logger.info("removing a worker", metadata: ["signal": "TTOU", "workers": .stringConvertible(workers)])
        case .ttinIgnoredScoreboardFull:
            logger.warning("TTIN ignored: the scoreboard is full", metadata: ["slots": .stringConvertible(scoreboard.slotCount)])
        case .ttouIgnoredLastWorker:
            logger.info("TTOU ignored: at least one worker stays", metadata: ["signal": "TTOU"])
        case .scoreboardFull:
            logger.warning("scoreboard full: cannot start more workers", metadata: ["slots": .stringConvertible(scoreboard.slotCount)])
        case .crashLoop(let slot, let delay, let failures):
            logger.warning("worker crash loop: delaying respawn", metadata: [
                "slot": .stringConvertible(slot), "delay_s": .stringConvertible(delay),
                "consecutive_failures": .stringConvertible(failures),
            ])
        case .heartbeatTimeout(let pid, let slot, let silence):
            logger.error("worker timeout: no heartbeat; killing it", metadata: [
                "worker_pid": .stringConvertible(pid), "silent_s": .stringConvertible(Double(silence) / 1e9),
                "requests": .array(inFlight(observations[slot])),
            ])
        case .requestTimeout(let pid, _, let request, let running):
            logger.error("request timeout: killing its worker", metadata: [
                "worker_pid": .stringConvertible(pid), "request": .string(request.summary),
                "running_s": .stringConvertible(Double(running) / 1e9),
                "request_timeout_s": .stringConvertible(machine.configuration.requestTimeout),
            ])
        case .gracefulTimeout(let pid, let slot):
            logger.warning("worker did not stop within the graceful timeout; killing it", metadata: [
                "worker_pid": .stringConvertible(pid), "requests": .array(inFlight(observations[slot])),
            ])
        case .cannotBoot(let error):
            logger.critical("worker failed to boot, stopping: \(error)")
        case .stopDeadline(let pids):
            logger.warning("workers still running at the stop deadline; killing them", metadata: [
                "workers": .array(pids.map { .stringConvertible($0) }),
            ])
        }
    }

    /// The requests a worker was serving, each with how long it had run, for a kill's log line.
    private func inFlight(_ observation: Machine.Observation?) -> [Logger.Metadata.Value] {
        let now = Clock.monotonicNanoseconds()
        return (observation?.requests ?? []).map {
            .string("\($0.summary) running_s=\(Double(Clock.elapsed(from: $0.started, to: now)) / 1e9)")
        }
    }

    private static func cpuNanoseconds(_ usage: rusage) -> UInt64 {
        func ns(_ t: timeval) -> UInt64 { UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_usec) * 1000 }
        return ns(usage.ru_utime) + ns(usage.ru_stime)
    }
}
