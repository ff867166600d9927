import CRagdShim
import Logging
import RagdCore
import RagdFastCGI
import RagdHTTP
import RagdMetrics
#if canImport(Glibc)
import Glibc
#endif

/// The life of one worker process, from just after fork to `_exit`. Never returns.
///
/// The main thread boots the application, starts the serving threads and then only
/// heartbeats and watches for signals; the serving threads accept and answer.
enum Worker {
    /// Exit status of a worker that could not boot (gunicorn uses the same value).
    static let bootErrorStatus: Int32 = 3

    static func run(slot: Int, generation: PoolGeneration, listener: FastCGIListener,
                    scoreboard: Scoreboard, view: PoolView, metrics: MetricsStore, masterPID: pid_t) -> Never {
        // Die with the master rather than serve unsupervised; TERM lets in-flight requests finish.
        _ = CRagdShim_set_parent_death_signal(SIGTERM)
        if getppid() != masterPID { _exit(0) }

        let configuration = generation.configuration
        let signals: SignalQueue
        do {
            signals = try SignalQueue.open(watching: [SIGTERM])
        } catch {
            scoreboard.setBootError(slot: slot, String(describing: error))
            _exit(bootErrorStatus)
        }
        // HUP/TTIN/TTOU are for the master; a worker that gets them (e.g. from a process
        // group kill) must not die of them. INT and QUIT keep their default: a fast stop.
        for signal in [SIGHUP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2, SIGPIPE] { _ = CRagdShim_signal_ignore(signal) }

        let responder: Responder
        do {
            responder = try generation.makeResponder(view)
        } catch {
            scoreboard.setBootError(slot: slot, String(describing: error))
            _exit(bootErrorStatus)
        }

        FastCGIServer.initializeLibrary()
        let stopFlag = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        stopFlag.initialize(to: 0)
        let liveThreads = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        liveThreads.initialize(to: 0)

        let limit = recycleLimit(configuration)
        let recorder = configuration.metricsEnabled ? MetricsRecorder(store: metrics, writer: slot) : nil
        MetricsRecorder.current = recorder
        let server = FastCGIServer(
            listener: listener, maxBodyBytes: configuration.maxBodyBytes, responder: responder,
            hooks: .init(
                requestStarted: { thread, request in
                    scoreboard.requestStarted(slot: slot, thread: thread, method: request.method, path: request.path,
                                              requestID: request.requestID, now: Clock.monotonicNanoseconds())
                },
                requestFinished: { thread, completed in
                    recorder?.recordRequest(method: completed.method, endpoint: completed.route,
                                            status: completed.status, seconds: completed.durationSeconds)
                    scoreboard.requestFinished(slot: slot, thread: thread, now: Clock.monotonicNanoseconds())
                }))

        let startCount = scoreboard.requestsServed(slot: slot)
        scoreboard.setThreads(slot: slot, configuration.threads)
        var threads: [OSThread] = []
        for index in 0..<configuration.threads {
            _ = CRagdShim_atomic_fetch_add_u64(liveThreads, 1)
            do {
                threads.append(try OSThread.start(name: "ragd-w\(slot)-t\(index)") {
                    server.serve(thread: index) {
                        if CRagdShim_atomic_load_u64(stopFlag) != 0 { return true }
                        // Recycling: once this worker has served its quota, stop accepting.
                        if limit > 0 && scoreboard.requestsServed(slot: slot) - startCount >= limit {
                            scoreboard.setExitNote(slot: slot, .maxRequests)
                            CRagdShim_atomic_store_u64(stopFlag, 1)
                            return true
                        }
                        return false
                    }
                    _ = CRagdShim_atomic_fetch_add_u64(liveThreads, UInt64.max) // -1
                })
            } catch {
                scoreboard.setBootError(slot: slot, String(describing: error))
                _exit(bootErrorStatus)
            }
        }
        scoreboard.setState(slot: slot, .running)

        // Heartbeat until every serving thread has returned; keep beating while stopping so
        // a long in-flight request is judged by GRACEFUL_TIMEOUT, not by WORKER_TIMEOUT.
        while CRagdShim_atomic_load_u64(liveThreads) > 0 {
            scoreboard.beat(slot: slot, now: Clock.monotonicNanoseconds())
            let received = signals.wait(timeout: 0.2)
            if received.contains(SIGTERM) || getppid() != masterPID {
                CRagdShim_atomic_store_u64(stopFlag, 1)
            }
            if CRagdShim_atomic_load_u64(stopFlag) != 0 {
                scoreboard.setState(slot: slot, .stopping)
            }
        }
        for thread in threads { thread.join() }
        _exit(0)
    }

    /// MAX_REQUESTS plus this worker's share of the jitter; 0 = never recycle.
    private static func recycleLimit(_ configuration: PoolConfiguration) -> UInt64 {
        guard configuration.maxRequests > 0 else { return 0 }
        let jitter = configuration.maxRequestsJitter > 0 ? Int.random(in: 0...configuration.maxRequestsJitter) : 0
        return UInt64(configuration.maxRequests + jitter)
    }
}
