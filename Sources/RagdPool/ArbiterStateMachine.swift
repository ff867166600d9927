import RagdCore

/// The arbiter's decisions, apart from their effects: which slot gets a worker and when,
/// how long a crash loop waits, what each signal does, when a worker is retired or killed,
/// and when the pool stops. It performs no system call, reads no clock and logs nothing:
/// the `Arbiter` feeds it events (a signal, a spawn, an exit, a tick with the time and what
/// the scoreboard shows) and performs the actions it returns, in order. That keeps every
/// decision testable without processes or time, as postgres-nio tests its pool state machine.
///
/// Times are monotonic nanoseconds, as the scoreboard stores them; the machine only compares
/// and subtracts them (`Clock.elapsed`), it never reads a clock.
struct ArbiterStateMachine {
    /// Why a worker left the pool; also the `reason` label of the restarts metric.
    typealias ExitReason = Arbiter.ExitReason

    /// The signals the master acts on.
    enum Signal: String, Equatable {
        case term = "TERM", int = "INT", quit = "QUIT", hup = "HUP", ttin = "TTIN", ttou = "TTOU", chld = "CHLD"
    }

    /// The signals the master sends to a worker.
    enum WorkerSignal: Equatable {
        /// Stop accepting, finish what is in flight, exit.
        case term
        /// Stop now (the default action of SIGINT).
        case int
        /// SIGKILL: the worker is hung or past its deadline.
        case kill
    }

    /// How a worker process ended, as `wait4` reported it.
    enum Termination: Equatable {
        case exited(status: Int32)
        case signaled(Int32)
    }

    /// What the scoreboard shows of one worker at a tick.
    struct Observation: Equatable {
        /// When the worker last proved it is alive.
        var heartbeat: UInt64
        /// Booted and accepting (the scoreboard's `.running`).
        var running: Bool
        /// Its requests in flight, in thread order.
        var requests: [Request] = []
    }

    /// One request in flight, as the scoreboard shows it.
    struct Request: Equatable {
        var thread: Int
        var started: UInt64
        /// Method, path and request id, for the log line that names a hung request.
        var summary: String
    }

    /// What the scoreboard says about a worker that exited.
    struct ExitReport: Equatable {
        var termination: Termination
        /// Why it could not boot; empty when it booted.
        var bootError: String = ""
        /// It stopped by itself after serving MAX_REQUESTS.
        var servedMaxRequests = false
    }

    /// A line the operator should see; the `Arbiter` turns each into one log line.
    enum Note: Equatable {
        case gracefulStop
        case fastStop(Signal)
        case reloading(workers: Int)
        case addingWorker(workers: Int)
        case removingWorker(workers: Int)
        case ttinIgnoredScoreboardFull
        case ttouIgnoredLastWorker
        case scoreboardFull
        /// A respawn is delayed because workers keep dying soon after their start.
        case crashLoop(slot: Int, delaySeconds: Double, consecutiveFailures: Int)
        case heartbeatTimeout(pid: Int32, slot: Int, silence: UInt64)
        case requestTimeout(pid: Int32, slot: Int, request: Request, running: UInt64)
        case gracefulTimeout(pid: Int32, slot: Int)
        /// A worker could not boot; the pool stops with `Worker.bootErrorStatus`.
        case cannotBoot(String)
        case stopDeadline(pids: [Int32])
    }

    /// What the `Arbiter` is to do, in the order returned.
    enum Action: Equatable {
        /// Fork a worker of the current generation into `slot`, then report `spawned` or `spawnFailed`.
        case spawn(slot: Int)
        case signal(WorkerSignal, pid: Int32)
        /// Load the configuration again (HUP), then report `reloaded`, or nothing when it is refused.
        case reload
        /// Count the exit under `reason` and log it.
        case recordExit(pid: Int32, slot: Int, reason: ExitReason, termination: Termination)
        /// Give `slot` back to the scoreboard.
        case releaseSlot(Int)
        case note(Note)
        /// The last worker is gone after a stop: close the listener and exit with `status`
        /// (`quiet` when a halt already said why).
        case finish(status: Int32, quiet: Bool)
    }

    /// A worker that dies sooner than this after its spawn counts towards the crash-loop backoff.
    static let quickFailureWindow: UInt64 = 5_000_000_000
    static let backoffBase = 0.1, backoffCap = 10.0
    /// How long a fast stop waits before killing what is left.
    static let fastStopTimeout = 2.0
    /// A failed fork is retried after this long, so a full process table is not hammered.
    static let forkRetryDelay = 1.0

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

    private enum Phase {
        case running
        /// Every worker has been told to go; the master only waits for them.
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
        /// The deadline has passed and what was left got SIGKILL; the master only waits now.
        var forced = false
    }

    private(set) var configuration: PoolConfiguration
    /// Which configuration a worker was forked with; HUP starts the next one.
    private(set) var generation: UInt64 = 1
    private(set) var targetWorkers: Int
    private var workers: [Int32: WorkerRecord] = [:]
    /// Slots with a `spawn` action out and no report back yet.
    private var forking: Set<Int> = []
    private var freeSlots: [Int]
    /// Slots whose worker died and is to be replaced, with the earliest time to do it.
    private var respawns: [(slot: Int, notBefore: UInt64)] = []
    private var quickFailures = 0
    private var phase = Phase.running

    /// - `slotCount`: the scoreboard's slots, the most workers that may exist at once.
    init(configuration: PoolConfiguration, slotCount: Int) {
        self.configuration = configuration
        self.targetWorkers = configuration.workers
        // Reversed so that `popLast` hands out slot 0 first.
        self.freeSlots = Array((0..<slotCount).reversed())
    }

    var isRunning: Bool {
        if case .running = phase { return true }
        return false
    }

    /// The slots of the workers that exist now, in slot order.
    var workerSlots: [Int] { workers.values.map(\.slot).sorted() }

    /// The slot of worker `pid`; nil when it is not one of ours.
    func slot(of pid: Int32) -> Int? { workers[pid]?.slot }

    // MARK: events

    /// The one place a signal to the master is decided on, running or stopping.
    mutating func handle(_ signal: Signal, at now: UInt64) -> [Action] {
        guard case .running = phase else {
            // A second, harsher signal during a graceful stop: the workers stop at once.
            guard case .stopping(var stop) = phase, stop.graceful, signal == .int || signal == .quit else { return [] }
            stop.graceful = false
            phase = .stopping(stop)
            return signalAll(.int)
        }
        switch signal {
        case .term:
            return [.note(.gracefulStop)] + beginStop(graceful: true, status: 0, quiet: false, at: now)
        case .int, .quit:
            return [.note(.fastStop(signal))] + beginStop(graceful: false, status: 0, quiet: false, at: now)
        case .hup:
            return [.reload]
        case .ttin:
            guard !freeSlots.isEmpty else { return [.note(.ttinIgnoredScoreboardFull)] }
            targetWorkers += 1
            return [.note(.addingWorker(workers: targetWorkers))]
        case .ttou:
            guard targetWorkers > 1 else { return [.note(.ttouIgnoredLastWorker)] }
            targetWorkers -= 1
            return [.note(.removingWorker(workers: targetWorkers))]
        case .chld:
            return [] // it only wakes the master up; reaping follows
        }
    }

    /// The configuration loaded after HUP: a new generation replaces every worker.
    mutating func reloaded(_ next: PoolConfiguration) -> [Action] {
        guard isRunning else { return [] }
        configuration = next
        generation += 1
        targetWorkers = next.workers
        quickFailures = 0
        // Pending respawns belong to the old generation.
        let released = respawns.map { Action.releaseSlot($0.slot) }
        freeSlots += respawns.map(\.slot)
        respawns = []
        return released + [.note(.reloading(workers: targetWorkers))]
    }

    /// A `spawn` action was performed: `pid` now serves from `slot`.
    mutating func spawned(pid: Int32, slot: Int, at now: UInt64) {
        forking.remove(slot)
        workers[pid] = WorkerRecord(slot: slot, generation: generation, spawnedAt: now)
    }

    /// A `spawn` action failed (fork refused); the slot is tried again later.
    mutating func spawnFailed(slot: Int, at now: UInt64) {
        forking.remove(slot)
        respawns.append((slot: slot, notBefore: now + Self.nanoseconds(Self.forkRetryDelay)))
    }

    /// Worker `pid` was reaped. Unknown pids (not ours) are ignored.
    mutating func exited(pid: Int32, _ report: ExitReport, at now: UInt64) -> [Action] {
        guard let record = workers.removeValue(forKey: pid) else { return [] }
        // While stopping, an exit is what was asked for: nothing to count or replace.
        guard isRunning else { return [] }

        if case .exited(status: Worker.bootErrorStatus) = report.termination, !report.bootError.isEmpty {
            // A worker that cannot boot will not boot on retry either; forking on would be
            // a fork storm. Stop the pool with one clear line, as gunicorn does.
            return [releaseSlot(record.slot), .note(.cannotBoot(report.bootError))]
                + beginStop(graceful: false, status: Worker.bootErrorStatus, quiet: true, at: now)
        }

        let reason: ExitReason
        if let retiring = record.retiring {
            reason = retiring
        } else if let killedFor = record.killedFor {
            reason = killedFor
        } else if case .exited(status: 0) = report.termination {
            reason = report.servedMaxRequests ? .maxRequests : .exit
        } else {
            reason = .crash
        }
        var actions: [Action] = [.recordExit(pid: pid, slot: record.slot, reason: reason, termination: report.termination)]

        guard record.retiring == nil && record.generation == generation else {
            actions.append(releaseSlot(record.slot))
            return actions
        }
        var delay = 0.0
        if reason == .crash || reason == .exit {
            quickFailures = Clock.elapsed(from: record.spawnedAt, to: now) < Self.quickFailureWindow ? quickFailures + 1 : 0
            // One early death (an operator's kill -9) is replaced at once; from the second
            // in a row the delay doubles: 0.1 s, 0.2 s, ... up to 10 s.
            if quickFailures >= 2 {
                delay = min(Self.backoffBase * pow2(quickFailures - 2), Self.backoffCap)
                actions.append(.note(.crashLoop(slot: record.slot, delaySeconds: delay, consecutiveFailures: quickFailures)))
            }
        }
        respawns.append((slot: record.slot, notBefore: now + Self.nanoseconds(delay)))
        return actions
    }

    /// One round of supervision at `now`, with the scoreboard's view of each worker by slot:
    /// timeouts first, then the pool brought to its target; while stopping, the deadline.
    mutating func tick(at now: UInt64, observing observations: [Int: Observation]) -> [Action] {
        switch phase {
        case .running:
            return killTimedOut(at: now, observing: observations) + manageWorkers(at: now, observing: observations)
        case .stopping(var stop):
            if workers.isEmpty { return [.finish(status: stop.status, quiet: stop.quiet)] }
            guard !stop.forced && now >= stop.deadline else { return [] }
            stop.forced = true
            phase = .stopping(stop)
            return [.note(.stopDeadline(pids: workers.keys.sorted()))] + signalAll(.kill)
        }
    }

    // MARK: decisions

    /// Kills workers whose heartbeat stalled past WORKER_TIMEOUT or whose request ran past
    /// REQUEST_TIMEOUT, and retiring workers past GRACEFUL_TIMEOUT.
    private mutating func killTimedOut(at now: UInt64, observing observations: [Int: Observation]) -> [Action] {
        var actions: [Action] = []
        for (pid, record) in workers.sorted(by: { $0.value.slot < $1.value.slot }) where record.killedFor == nil {
            if let retiring = record.retiring {
                if now > record.retireDeadline {
                    actions += [.note(.gracefulTimeout(pid: pid, slot: record.slot)), .signal(.kill, pid: pid)]
                    workers[pid]?.killedFor = retiring
                }
                continue
            }
            guard let observation = observations[record.slot] else { continue }
            let silence = Clock.elapsed(from: observation.heartbeat, to: now)
            if silence > Self.nanoseconds(configuration.workerTimeout) {
                actions += [.note(.heartbeatTimeout(pid: pid, slot: record.slot, silence: silence)), .signal(.kill, pid: pid)]
                workers[pid]?.killedFor = .timeout
                continue
            }
            guard configuration.requestTimeout > 0 else { continue }
            let limit = Self.nanoseconds(configuration.requestTimeout)
            if let hung = observation.requests.first(where: { Clock.elapsed(from: $0.started, to: now) > limit }) {
                let running = Clock.elapsed(from: hung.started, to: now)
                actions += [.note(.requestTimeout(pid: pid, slot: record.slot, request: hung, running: running)),
                            .signal(.kill, pid: pid)]
                workers[pid]?.killedFor = .timeout
            }
        }
        return actions
    }

    /// Brings the current generation to `targetWorkers` and retires what is surplus:
    /// extra workers after TTOU, and the previous generation once the new one is up.
    private mutating func manageWorkers(at now: UInt64, observing observations: [Int: Observation]) -> [Action] {
        var actions: [Action] = []

        // Replace dead workers whose backoff has passed, in their own slots.
        var waiting: [(slot: Int, notBefore: UInt64)] = []
        for entry in respawns {
            if entry.notBefore <= now && activeCount < targetWorkers {
                actions.append(spawn(entry.slot))
            } else if activeCount + waiting.count < targetWorkers {
                waiting.append(entry)
            } else {
                actions.append(releaseSlot(entry.slot))
            }
        }
        respawns = waiting

        while activeCount + respawns.count < targetWorkers, let slot = freeSlots.popLast() {
            actions.append(spawn(slot))
        }
        if activeCount + respawns.count < targetWorkers && freeSlots.isEmpty {
            actions.append(.note(.scoreboardFull))
        }

        // Too many (TTOU): retire the oldest, as gunicorn does.
        let active = activeWorkers()
        if active.count > targetWorkers {
            for (pid, _) in active.prefix(active.count - targetWorkers) {
                actions += retire(pid, reason: .scaleDown, at: now)
            }
        }

        // Reload: retire the old generation only once the new one is serving, so there is
        // always a worker accepting and no request waits on an empty pool.
        let old = workers.filter { $0.value.generation != generation && $0.value.retiring == nil }
        if !old.isEmpty {
            let running = activeWorkers().filter { observations[$0.record.slot]?.running == true }.count
            let patience = Self.nanoseconds(configuration.workerTimeout) * 2
            let waitedTooLong = old.values.contains { Clock.elapsed(from: $0.spawnedAt, to: now) > patience }
            if running >= targetWorkers || (running > 0 && waitedTooLong) {
                for pid in old.keys.sorted() { actions += retire(pid, reason: .reload, at: now) }
            }
        }
        return actions
    }

    /// Workers of the current generation not asked to go, oldest first (slot breaks a tie).
    private func activeWorkers() -> [(pid: Int32, record: WorkerRecord)] {
        workers.filter { $0.value.retiring == nil && $0.value.generation == generation }
            .map { (pid: $0.key, record: $0.value) }
            .sorted { ($0.record.spawnedAt, $0.record.slot) < ($1.record.spawnedAt, $1.record.slot) }
    }

    /// Active workers plus those being forked: what the target is measured against.
    private var activeCount: Int { activeWorkers().count + forking.count }

    private mutating func spawn(_ slot: Int) -> Action {
        forking.insert(slot)
        return .spawn(slot: slot)
    }

    private mutating func retire(_ pid: Int32, reason: ExitReason, at now: UInt64) -> [Action] {
        guard var record = workers[pid], record.retiring == nil else { return [] }
        record.retiring = reason
        record.retireDeadline = now + Self.nanoseconds(configuration.gracefulTimeout)
        workers[pid] = record
        return [.signal(.term, pid: pid)]
    }

    private mutating func releaseSlot(_ slot: Int) -> Action {
        freeSlots.append(slot)
        return .releaseSlot(slot)
    }

    /// Tells every worker to go; graceful lets in-flight requests finish up to GRACEFUL_TIMEOUT.
    private mutating func beginStop(graceful: Bool, status: Int32, quiet: Bool, at now: UInt64) -> [Action] {
        let timeout = graceful ? configuration.gracefulTimeout : Self.fastStopTimeout
        phase = .stopping(Stop(graceful: graceful, deadline: now + Self.nanoseconds(timeout), status: status, quiet: quiet))
        return signalAll(graceful ? .term : .int)
    }

    private func signalAll(_ signal: WorkerSignal) -> [Action] {
        workers.keys.sorted().map { .signal(signal, pid: $0) }
    }

    static func nanoseconds(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1e9) }

    /// 2^exponent; capped so the shift cannot overflow (the delay reaches its own cap long before).
    private func pow2(_ exponent: Int) -> Double { Double(1 << min(exponent, 62)) }
}
