@testable import RagdPool
import Testing

private typealias Machine = ArbiterStateMachine
private let second: UInt64 = 1_000_000_000

/// Drives the machine as the `Arbiter` does, with every fork succeeding: a `spawn` action is
/// answered with `spawned` and a fresh pid at once. Time is whatever the test says it is.
private struct Pool {
    var machine: Machine
    /// The pid serving each slot now.
    var pids: [Int: Int32] = [:]
    private var nextPID: Int32 = 100

    init(workers: Int = 2, slots: Int = 8, _ adjust: (inout PoolConfiguration) -> Void = { _ in }) {
        var configuration = PoolConfiguration()
        configuration.workers = workers
        adjust(&configuration)
        machine = Machine(configuration: configuration, slotCount: slots)
    }

    /// A tick at `now`; each worker shows what `observe(slot)` says, by default a fresh
    /// heartbeat, booted, and no request in flight.
    mutating func tick(at now: UInt64, observe: (Int) -> Machine.Observation? = { _ in nil }) -> [Machine.Action] {
        var observations: [Int: Machine.Observation] = [:]
        for slot in machine.workerSlots {
            observations[slot] = observe(slot) ?? Machine.Observation(heartbeat: now, running: true)
        }
        let actions = machine.tick(at: now, observing: observations)
        for case .spawn(let slot) in actions {
            pids[slot] = nextPID
            machine.spawned(pid: nextPID, slot: slot, at: now)
            nextPID += 1
        }
        return actions
    }

    mutating func exit(slot: Int, _ termination: Machine.Termination, bootError: String = "", maxRequests: Bool = false,
                       at now: UInt64) -> [Machine.Action] {
        let report = Machine.ExitReport(termination: termination, bootError: bootError, servedMaxRequests: maxRequests)
        return machine.exited(pid: pids[slot]!, report, at: now)
    }

    /// A worker killed with SIGKILL (signal 9) `at` the given time.
    mutating func crash(slot: Int, at now: UInt64) -> [Machine.Action] {
        exit(slot: slot, .signaled(9), at: now)
    }
}

@Suite struct ArbiterStateMachineTests {
    // MARK: spawning and respawning

    @Test func spawnsUpToTheTargetInSlotOrder() {
        var pool = Pool(workers: 3)
        #expect(pool.tick(at: 0) == [.spawn(slot: 0), .spawn(slot: 1), .spawn(slot: 2)])
        #expect(pool.tick(at: second) == [], "nothing more once the target is reached")
    }

    @Test func aCrashedWorkerIsReplacedInItsOwnSlot() {
        var pool = Pool(workers: 2)
        _ = pool.tick(at: 0)
        let pid = pool.pids[1]!
        #expect(pool.crash(slot: 1, at: 60 * second) == [
            .recordExit(pid: pid, slot: 1, reason: .crash, termination: .signaled(9)),
        ])
        #expect(pool.tick(at: 60 * second) == [.spawn(slot: 1)], "one early death is replaced at once")
        #expect(pool.pids[1] != pid)
    }

    @Test func aWorkerRecycledAfterMaxRequestsIsReplacedAtOnce() {
        var pool = Pool(workers: 1)
        _ = pool.tick(at: 0)
        let pid = pool.pids[0]!
        #expect(pool.exit(slot: 0, .exited(status: 0), maxRequests: true, at: second) == [
            .recordExit(pid: pid, slot: 0, reason: .maxRequests, termination: .exited(status: 0)),
        ])
        #expect(pool.tick(at: second) == [.spawn(slot: 0)])
    }

    @Test func quickRepeatedCrashesBackOffWithADoublingDelayCappedAtTheMaximum() {
        var pool = Pool(workers: 1)
        var now: UInt64 = 0
        _ = pool.tick(at: now)
        var delays: [Double] = []
        for failure in 1...11 {
            now += second // well inside the quick-failure window
            let actions = pool.crash(slot: 0, at: now)
            guard failure >= 2 else {
                #expect(actions.count == 1, "the first death is not a loop: \(actions)")
                #expect(pool.tick(at: now) == [.spawn(slot: 0)])
                continue
            }
            guard case .note(.crashLoop(slot: 0, delaySeconds: let delay, consecutiveFailures: failure)) = actions.last else {
                Issue.record("no crash-loop note after failure \(failure): \(actions)")
                return
            }
            delays.append(delay)
            let notBefore = now + Machine.nanoseconds(delay)
            #expect(pool.tick(at: notBefore - 1) == [], "no respawn before the delay")
            now = notBefore
            #expect(pool.tick(at: now) == [.spawn(slot: 0)], "respawned once the delay has passed")
        }
        #expect(delays == [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 10, 10, 10])
    }

    @Test func aLateDeathEndsTheCrashLoop() {
        var pool = Pool(workers: 1)
        _ = pool.tick(at: 0)
        _ = pool.crash(slot: 0, at: second)
        _ = pool.tick(at: second)
        #expect(pool.crash(slot: 0, at: 2 * second).count == 2, "second quick death: a delay")
        _ = pool.tick(at: 3 * second)
        // This one lived longer than the quick-failure window.
        let late = 3 * second + Machine.quickFailureWindow
        #expect(pool.crash(slot: 0, at: late).count == 1, "no crash-loop note")
        #expect(pool.tick(at: late) == [.spawn(slot: 0)])
    }

    @Test func aFailedForkIsRetriedAfterASecond() {
        var pool = Pool(workers: 1)
        #expect(pool.machine.tick(at: 0, observing: [:]) == [.spawn(slot: 0)])
        pool.machine.spawnFailed(slot: 0, at: 0)
        #expect(pool.tick(at: second - 1) == [])
        #expect(pool.tick(at: second) == [.spawn(slot: 0)])
    }

    // MARK: a worker that cannot boot

    @Test func aWorkerThatCannotBootStopsThePoolWithStatus3() {
        var pool = Pool(workers: 3)
        _ = pool.tick(at: 0)
        let error = "DATABASE_URL: invalid connection option"
        #expect(pool.exit(slot: 0, .exited(status: 3), bootError: error, at: second) == [
            .releaseSlot(0), .note(.cannotBoot(error)), .signal(.int, pid: pool.pids[1]!), .signal(.int, pid: pool.pids[2]!),
        ])
        #expect(!pool.machine.isRunning)
        #expect(pool.exit(slot: 1, .exited(status: 3), bootError: error, at: second) == [], "said once, no fork storm")
        #expect(pool.tick(at: second) == [], "one worker is still running")
        #expect(pool.exit(slot: 2, .signaled(2), at: second) == [])
        #expect(pool.tick(at: second) == [.finish(status: 3, quiet: true)])
    }

    @Test func status3WithoutABootErrorIsAnOrdinaryCrash() {
        var pool = Pool(workers: 1)
        _ = pool.tick(at: 0)
        let pid = pool.pids[0]!
        #expect(pool.exit(slot: 0, .exited(status: 3), at: 60 * second) == [
            .recordExit(pid: pid, slot: 0, reason: .crash, termination: .exited(status: 3)),
        ])
        #expect(pool.machine.isRunning)
    }

    // MARK: HUP

    @Test func hupReplacesEveryWorkerOnceTheNewGenerationIsRunning() {
        var pool = Pool(workers: 2)
        _ = pool.tick(at: 0)
        let old = [pool.pids[0]!, pool.pids[1]!]
        #expect(pool.machine.handle(.hup, at: second) == [.reload])
        var next = pool.machine.configuration
        next.workers = 2
        #expect(pool.machine.reloaded(next) == [.note(.reloading(workers: 2))])
        #expect(pool.machine.generation == 2)

        // The new generation is forked next to the old one, which keeps serving meanwhile.
        #expect(pool.tick(at: 2 * second) == [.spawn(slot: 2), .spawn(slot: 3)])
        let booting = { (slot: Int) in Machine.Observation(heartbeat: 2 * second, running: slot < 2) }
        #expect(pool.tick(at: 2 * second, observe: booting) == [], "the old workers stay until the new ones serve")
        #expect(pool.tick(at: 3 * second) == [.signal(.term, pid: old[0]), .signal(.term, pid: old[1])])

        #expect(pool.exit(slot: 0, .exited(status: 0), at: 4 * second) == [
            .recordExit(pid: old[0], slot: 0, reason: .reload, termination: .exited(status: 0)), .releaseSlot(0),
        ])
        #expect(pool.exit(slot: 1, .exited(status: 0), at: 4 * second) == [
            .recordExit(pid: old[1], slot: 1, reason: .reload, termination: .exited(status: 0)), .releaseSlot(1),
        ])
        #expect(pool.tick(at: 4 * second) == [], "retired workers are not replaced")
        #expect(pool.machine.workerSlots == [2, 3])
    }

    @Test func hupDropsTheOldGenerationsPendingRespawns() {
        var pool = Pool(workers: 1)
        _ = pool.tick(at: 0)
        _ = pool.crash(slot: 0, at: second)
        _ = pool.tick(at: second)
        _ = pool.crash(slot: 0, at: 2 * second) // backs off: slot 0 waits
        #expect(pool.machine.reloaded(pool.machine.configuration) == [.releaseSlot(0), .note(.reloading(workers: 1))])
        #expect(pool.tick(at: 2 * second) == [.spawn(slot: 0)], "the new generation starts at once, without the old backoff")
    }

    // MARK: TTIN and TTOU

    @Test func ttinAndTtouChangeTheTargetByOneButNeverBelowOne() {
        var pool = Pool(workers: 2)
        _ = pool.tick(at: 0)
        #expect(pool.machine.handle(.ttin, at: second) == [.note(.addingWorker(workers: 3))])
        #expect(pool.tick(at: second) == [.spawn(slot: 2)])

        #expect(pool.machine.handle(.ttou, at: 2 * second) == [.note(.removingWorker(workers: 2))])
        #expect(pool.tick(at: 2 * second) == [.signal(.term, pid: pool.pids[0]!)], "the oldest worker goes")
        #expect(pool.machine.handle(.ttou, at: 2 * second) == [.note(.removingWorker(workers: 1))])
        #expect(pool.tick(at: 2 * second) == [.signal(.term, pid: pool.pids[1]!)])
        #expect(pool.machine.handle(.ttou, at: 2 * second) == [.note(.ttouIgnoredLastWorker)])
        #expect(pool.machine.targetWorkers == 1)
        #expect(pool.tick(at: 2 * second) == [])

        let pid = pool.pids[0]!
        #expect(pool.exit(slot: 0, .exited(status: 0), at: 3 * second) == [
            .recordExit(pid: pid, slot: 0, reason: .scaleDown, termination: .exited(status: 0)), .releaseSlot(0),
        ])
        #expect(pool.tick(at: 3 * second) == [], "a worker scaled down is not replaced")
    }

    @Test func ttinIsIgnoredWhenTheScoreboardIsFull() {
        var pool = Pool(workers: 2, slots: 2)
        _ = pool.tick(at: 0)
        #expect(pool.machine.handle(.ttin, at: second) == [.note(.ttinIgnoredScoreboardFull)])
        #expect(pool.machine.targetWorkers == 2)
    }

    // MARK: stopping

    @Test func termRetiresEveryWorkerAndFinishesWhenTheLastHasExited() {
        var pool = Pool(workers: 2)
        _ = pool.tick(at: 0)
        let (a, b) = (pool.pids[0]!, pool.pids[1]!)
        #expect(pool.machine.handle(.term, at: second) == [.note(.gracefulStop), .signal(.term, pid: a), .signal(.term, pid: b)])
        #expect(pool.machine.handle(.hup, at: second) == [], "nothing but the stop once stopping")
        #expect(pool.machine.handle(.ttin, at: second) == [])
        #expect(pool.machine.handle(.term, at: second) == [])
        #expect(pool.exit(slot: 0, .exited(status: 0), at: 2 * second) == [], "an exit asked for is not counted")
        #expect(pool.tick(at: 2 * second) == [], "no respawn while stopping")
        #expect(pool.exit(slot: 1, .exited(status: 0), at: 3 * second) == [])
        #expect(pool.tick(at: 3 * second) == [.finish(status: 0, quiet: false)])
    }

    @Test func aGracefulStopKillsWhatIsLeftAtTheGracefulTimeout() {
        var pool = Pool(workers: 2) { $0.gracefulTimeout = 30 }
        _ = pool.tick(at: 0)
        let (a, b) = (pool.pids[0]!, pool.pids[1]!)
        _ = pool.machine.handle(.term, at: second)
        #expect(pool.tick(at: 31 * second - 1) == [])
        #expect(pool.tick(at: 31 * second) == [.note(.stopDeadline(pids: [a, b])), .signal(.kill, pid: a), .signal(.kill, pid: b)])
        #expect(pool.tick(at: 32 * second) == [], "killed once")
        _ = pool.exit(slot: 0, .signaled(9), at: 32 * second)
        _ = pool.exit(slot: 1, .signaled(9), at: 32 * second)
        #expect(pool.tick(at: 32 * second) == [.finish(status: 0, quiet: false)])
    }

    @Test func intDuringAGracefulStopStopsTheWorkersAtOnce() {
        var pool = Pool(workers: 2)
        _ = pool.tick(at: 0)
        let (a, b) = (pool.pids[0]!, pool.pids[1]!)
        _ = pool.machine.handle(.term, at: second)
        #expect(pool.machine.handle(.int, at: 2 * second) == [.signal(.int, pid: a), .signal(.int, pid: b)])
        #expect(pool.machine.handle(.quit, at: 2 * second) == [], "escalated once")
    }

    @Test(arguments: [ArbiterStateMachine.Signal.int, .quit])
    func intAndQuitStopFastAndKillWhatIsLeftAfterTwoSeconds(signal: ArbiterStateMachine.Signal) {
        var pool = Pool(workers: 2)
        _ = pool.tick(at: 0)
        let (a, b) = (pool.pids[0]!, pool.pids[1]!)
        #expect(pool.machine.handle(signal, at: second) == [.note(.fastStop(signal)), .signal(.int, pid: a), .signal(.int, pid: b)])
        #expect(pool.machine.handle(.int, at: second) == [], "already stopping fast")
        #expect(pool.tick(at: 3 * second - 1) == [])
        #expect(pool.tick(at: 3 * second) == [.note(.stopDeadline(pids: [a, b])), .signal(.kill, pid: a), .signal(.kill, pid: b)])
    }

    // MARK: timeouts

    @Test func aRetiringWorkerPastTheGracefulTimeoutIsKilled() {
        var pool = Pool(workers: 2) { $0.gracefulTimeout = 30 }
        _ = pool.tick(at: 0)
        let pid = pool.pids[0]!
        _ = pool.machine.handle(.ttou, at: second)
        #expect(pool.tick(at: second) == [.signal(.term, pid: pid)])
        #expect(pool.tick(at: 31 * second) == [], "the graceful timeout is not over yet")
        #expect(pool.tick(at: 31 * second + 1) == [.note(.gracefulTimeout(pid: pid, slot: 0)), .signal(.kill, pid: pid)])
        #expect(pool.tick(at: 32 * second) == [], "killed once")
        #expect(pool.exit(slot: 0, .signaled(9), at: 32 * second) == [
            .recordExit(pid: pid, slot: 0, reason: .scaleDown, termination: .signaled(9)), .releaseSlot(0),
        ], "counted under why it was retired")
    }

    @Test func aWorkerWithoutAHeartbeatIsKilledAndReplaced() {
        var pool = Pool(workers: 1) { $0.workerTimeout = 30 }
        _ = pool.tick(at: 0)
        let pid = pool.pids[0]!
        let silent = { (_: Int) in Machine.Observation(heartbeat: 0, running: true) }
        #expect(pool.tick(at: 30 * second, observe: silent) == [])
        #expect(pool.tick(at: 30 * second + 1, observe: silent) == [
            .note(.heartbeatTimeout(pid: pid, slot: 0, silence: 30 * second + 1)), .signal(.kill, pid: pid),
        ])
        #expect(pool.tick(at: 40 * second, observe: silent) == [], "killed once")
        #expect(pool.exit(slot: 0, .signaled(9), at: 40 * second) == [
            .recordExit(pid: pid, slot: 0, reason: .timeout, termination: .signaled(9)),
        ])
        #expect(pool.tick(at: 40 * second) == [.spawn(slot: 0)])
    }

    @Test func aRequestPastTheRequestTimeoutKillsItsWorker() {
        var pool = Pool(workers: 1) { $0.requestTimeout = 2 }
        _ = pool.tick(at: 0)
        let pid = pool.pids[0]!
        let hung = Machine.Request(thread: 3, started: second, summary: "GET /_test/sleep request_id=hung-1")
        let busy = { (_: Int) in
            Machine.Observation(heartbeat: 3 * second, running: true,
                                requests: [Machine.Request(thread: 1, started: 3 * second, summary: "GET /health"), hung])
        }
        #expect(pool.tick(at: 3 * second, observe: busy) == [])
        #expect(pool.tick(at: 3 * second + 1, observe: busy) == [
            .note(.requestTimeout(pid: pid, slot: 0, request: hung, running: 2 * second + 1)), .signal(.kill, pid: pid),
        ])
    }

    @Test func aRequestTimeoutOfZeroNeverKills() {
        var pool = Pool(workers: 1) { $0.requestTimeout = 0 }
        _ = pool.tick(at: 0)
        let busy = { (_: Int) in
            Machine.Observation(heartbeat: 3600 * second, running: true,
                                requests: [Machine.Request(thread: 0, started: 0, summary: "GET /slow")])
        }
        #expect(pool.tick(at: 3600 * second, observe: busy) == [])
    }
}
