import CRagdShim
import RagdCore
#if canImport(Glibc)
import Glibc
#endif

/// The memory the master maps before forking, shared by every process of the pool.
///
/// Layout, all 64-bit words so every field can be read and written atomically:
/// a header, then `slotCount` fixed-size slots. A slot belongs to one worker at a time; a
/// respawned worker takes over its predecessor's slot. Each slot has a few worker-level
/// words and one record per serving thread. Only slots in use are ever touched, so the
/// generous capacity costs address space, not memory.
public final class Scoreboard: @unchecked Sendable {
    /// Worker state, as published in its slot.
    public enum WorkerState: UInt64, Sendable {
        case free = 0, booting = 1, running = 2, stopping = 3
    }

    /// Why a worker exited on its own with status 0.
    public enum ExitNote: UInt64, Sendable {
        case none = 0, maxRequests = 1
    }

    public let slotCount: Int
    public let threadCapacity: Int
    private let base: UnsafeMutablePointer<UInt64>
    private let byteCount: Int

    static let headerWords = 16
    static let slotHeaderWords = 64
    static let threadWords = 32
    static let bootErrorWordOffset = 16
    static let bootErrorBytes = 256
    static let requestInfoBytes = (threadWords - 4) * 8

    private enum SlotField: Int {
        case pid = 0, state, heartbeat, spawnedAt, requestsServed, threads, exitNote, generation, accepted
    }

    private enum HeaderField: Int {
        case masterPID = 0, startTimeMicroseconds, listenQueue, listenQueueMax, listenBacklog, maxBusyThreads,
             deadWorkersCPUNanoseconds
    }

    private enum ThreadField: Int {
        case busy = 0, requestStart, requestsServed, lastDurationNanoseconds
    }

    private var slotWords: Int { Self.slotHeaderWords + threadCapacity * Self.threadWords }

    /// Maps the region (MAP_SHARED | MAP_ANONYMOUS). Call in the master, before any fork.
    /// - `slotCount`: how many workers may exist at once, including the overlap during a reload.
    /// - `threadCapacity`: the most threads one worker may run.
    public init(slotCount: Int, threadCapacity: Int) throws {
        self.slotCount = slotCount
        self.threadCapacity = threadCapacity
        let words = Self.headerWords + slotCount * (Self.slotHeaderWords + threadCapacity * Self.threadWords)
        byteCount = words * 8
        guard let raw = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
              raw != MAP_FAILED else {
            throw PoolError(.sharedMemory, "mmap of \(byteCount) bytes failed: \(String(cString: strerror(errno)))")
        }
        base = raw.bindMemory(to: UInt64.self, capacity: words)
    }

    deinit {
        munmap(base, byteCount)
    }

    // MARK: raw access

    @inline(__always)
    private func slotPointer(_ slot: Int, _ field: SlotField) -> UnsafeMutablePointer<UInt64> {
        base + Self.headerWords + slot * slotWords + field.rawValue
    }

    @inline(__always)
    private func threadPointer(_ slot: Int, _ thread: Int, _ field: ThreadField) -> UnsafeMutablePointer<UInt64> {
        base + Self.headerWords + slot * slotWords + Self.slotHeaderWords + thread * Self.threadWords + field.rawValue
    }

    private func load(_ p: UnsafeMutablePointer<UInt64>) -> UInt64 { CRagdShim_atomic_load_u64(p) }
    private func store(_ p: UnsafeMutablePointer<UInt64>, _ v: UInt64) { CRagdShim_atomic_store_u64(p, v) }

    // MARK: pool-wide fields

    private func header(_ field: HeaderField) -> UnsafeMutablePointer<UInt64> { base + field.rawValue }

    /// Set by the master at start.
    public func setMaster(pid: pid_t, startTime: Double) {
        store(header(.masterPID), UInt64(pid))
        store(header(.startTimeMicroseconds), UInt64(startTime * 1e6))
    }

    public var masterPID: pid_t { pid_t(truncatingIfNeeded: load(header(.masterPID))) }
    /// Unix time the master started.
    public var startTime: Double { Double(load(header(.startTimeMicroseconds))) / 1e6 }

    /// Records a sample of the listen queue and keeps the maximum seen.
    public func recordListenQueue(queued: UInt32, backlog: UInt32) {
        store(header(.listenQueue), UInt64(queued))
        store(header(.listenBacklog), UInt64(backlog))
        raiseMaximum(header(.listenQueueMax), to: UInt64(queued))
    }

    public var listenQueue: (now: UInt64, max: UInt64, backlog: UInt64) {
        (load(header(.listenQueue)), load(header(.listenQueueMax)), load(header(.listenBacklog)))
    }

    public func recordBusyThreads(_ busy: Int) { raiseMaximum(header(.maxBusyThreads), to: UInt64(busy)) }
    public var maxBusyThreads: UInt64 { load(header(.maxBusyThreads)) }

    /// CPU time of workers that have exited, so the pool's CPU total never goes backwards.
    public func addDeadWorkerCPU(nanoseconds: UInt64) {
        _ = CRagdShim_atomic_fetch_add_u64(header(.deadWorkersCPUNanoseconds), nanoseconds)
    }

    public var deadWorkersCPUSeconds: Double { Double(load(header(.deadWorkersCPUNanoseconds))) / 1e9 }

    private func raiseMaximum(_ p: UnsafeMutablePointer<UInt64>, to value: UInt64) {
        var current = load(p)
        while value > current {
            if CRagdShim_atomic_cas_u64(p, current, value) != 0 { return }
            current = load(p)
        }
    }

    // MARK: worker-level fields

    /// Prepares `slot` for a worker about to be forked (master side).
    public func claim(slot: Int, generation: UInt64, now: UInt64) {
        // Threads of the previous occupant may have died mid-request.
        for thread in 0..<min(threads(slot: slot), threadCapacity) {
            store(threadPointer(slot, thread, .busy), 0)
            store(threadPointer(slot, thread, .requestStart), 0)
        }
        store(slotPointer(slot, .pid), 0)
        store(slotPointer(slot, .state), WorkerState.booting.rawValue)
        store(slotPointer(slot, .heartbeat), now)
        store(slotPointer(slot, .spawnedAt), now)
        store(slotPointer(slot, .threads), 0)
        store(slotPointer(slot, .exitNote), ExitNote.none.rawValue)
        store(slotPointer(slot, .generation), generation)
        setBootError(slot: slot, nil)
        // requestsServed is kept: the slot's count only ever grows, across respawns.
    }

    public func release(slot: Int) {
        store(slotPointer(slot, .state), WorkerState.free.rawValue)
        store(slotPointer(slot, .pid), 0)
    }

    public func setPID(slot: Int, _ pid: pid_t) { store(slotPointer(slot, .pid), UInt64(pid)) }
    public func pid(slot: Int) -> pid_t { pid_t(truncatingIfNeeded: load(slotPointer(slot, .pid))) }

    public func setState(slot: Int, _ state: WorkerState) { store(slotPointer(slot, .state), state.rawValue) }
    public func state(slot: Int) -> WorkerState { WorkerState(rawValue: load(slotPointer(slot, .state))) ?? .free }

    public func beat(slot: Int, now: UInt64) { store(slotPointer(slot, .heartbeat), now) }
    public func heartbeat(slot: Int) -> UInt64 { load(slotPointer(slot, .heartbeat)) }
    public func spawnedAt(slot: Int) -> UInt64 { load(slotPointer(slot, .spawnedAt)) }

    public func setThreads(slot: Int, _ count: Int) { store(slotPointer(slot, .threads), UInt64(count)) }
    public func threads(slot: Int) -> Int { Int(load(slotPointer(slot, .threads))) }

    public func setExitNote(slot: Int, _ note: ExitNote) { store(slotPointer(slot, .exitNote), note.rawValue) }
    public func exitNote(slot: Int) -> ExitNote { ExitNote(rawValue: load(slotPointer(slot, .exitNote))) ?? .none }

    public func requestsServed(slot: Int) -> UInt64 { load(slotPointer(slot, .requestsServed)) }
    /// Requests this slot's workers have started (php-fpm's "accepted conn"); never decreases.
    public func accepted(slot: Int) -> UInt64 { load(slotPointer(slot, .accepted)) }
    public func generation(slot: Int) -> UInt64 { load(slotPointer(slot, .generation)) }

    /// The reason a worker could not boot, written by the worker before it exits, read
    /// by the master for its one log line.
    public func setBootError(slot: Int, _ message: String?) {
        let raw = UnsafeMutableRawPointer(slotPointer(slot, .pid) + Self.bootErrorWordOffset)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: Self.bootErrorBytes)
        if let message { Self.copy(message, to: raw, capacity: Self.bootErrorBytes) }
    }

    public func bootError(slot: Int) -> String {
        Self.read(UnsafeRawPointer(slotPointer(slot, .pid) + Self.bootErrorWordOffset), capacity: Self.bootErrorBytes)
    }

    // MARK: thread-level fields

    /// Marks `thread` busy with a request; its summary `METHOD PATH request_id=ID` is what
    /// the master logs if it has to kill the worker for this request.
    ///
    /// The summary's bytes go straight into the slot, cut as `copy` cuts, NUL-terminated
    /// (`read` stops there): no String is built and the record is not cleared first, since
    /// this runs on every request.
    public func requestStarted(slot: Int, thread: Int, method: String, path: String, requestID: String, now: UInt64) {
        let info = UnsafeMutableRawPointer(threadPointer(slot, thread, .lastDurationNanoseconds) + 1)
        var summary = SummaryWriter(info.assumingMemoryBound(to: UInt8.self), capacity: Self.requestInfoBytes)
        summary.append(method)
        summary.append(" ")
        summary.append(path)
        summary.append(" request_id=")
        summary.append(requestID)
        summary.finish()
        store(threadPointer(slot, thread, .requestStart), now)
        store(threadPointer(slot, thread, .busy), 1)
        _ = CRagdShim_atomic_fetch_add_u64(slotPointer(slot, .accepted), 1)
    }

    public func requestFinished(slot: Int, thread: Int, now: UInt64) {
        let start = load(threadPointer(slot, thread, .requestStart))
        store(threadPointer(slot, thread, .lastDurationNanoseconds), Clock.elapsed(from: start, to: now))
        store(threadPointer(slot, thread, .busy), 0)
        _ = CRagdShim_atomic_fetch_add_u64(threadPointer(slot, thread, .requestsServed), 1)
        _ = CRagdShim_atomic_fetch_add_u64(slotPointer(slot, .requestsServed), 1)
    }

    /// A snapshot of a busy thread's request, or nil when the thread is idle.
    public func currentRequest(slot: Int, thread: Int) -> (started: UInt64, summary: String)? {
        guard load(threadPointer(slot, thread, .busy)) != 0 else { return nil }
        let started = load(threadPointer(slot, thread, .requestStart))
        let info = UnsafeRawPointer(threadPointer(slot, thread, .lastDurationNanoseconds) + 1)
        return (started, Self.read(info, capacity: Self.requestInfoBytes))
    }

    public func lastRequestDuration(slot: Int, thread: Int) -> Double {
        Double(load(threadPointer(slot, thread, .lastDurationNanoseconds))) / 1e9
    }

    public func requestsServed(slot: Int, thread: Int) -> UInt64 { load(threadPointer(slot, thread, .requestsServed)) }

    public func busyThreads(slot: Int) -> Int {
        (0..<min(threads(slot: slot), threadCapacity)).reduce(0) { $0 + (load(threadPointer(slot, $1, .busy)) != 0 ? 1 : 0) }
    }

    // MARK: text helpers

    private static func copy(_ text: String, to raw: UnsafeMutableRawPointer, capacity: Int) {
        // Whole scalars only, so a cut never leaves half a UTF-8 sequence.
        let bytes = Array(text.utf8)
        var length = min(bytes.count, capacity - 1)
        if length < bytes.count {
            while length > 0 && bytes[length] & 0xC0 == 0x80 { length -= 1 }
        }
        raw.copyMemory(from: bytes, byteCount: length)
    }

    /// Appends texts into a fixed buffer; `finish` cuts and terminates it as `copy` would
    /// have cut the concatenation.
    private struct SummaryWriter {
        let out: UnsafeMutablePointer<UInt8>
        let limit: Int
        var length = 0
        /// The first byte that did not fit, once one did not.
        var overflow: UInt8?

        init(_ out: UnsafeMutablePointer<UInt8>, capacity: Int) {
            self.out = out
            limit = capacity - 1
        }

        mutating func append(_ text: String) {
            guard overflow == nil else { return }
            var text = text
            text.withUTF8 { bytes in
                let n = min(bytes.count, limit - length)
                if n > 0 { (out + length).update(from: bytes.baseAddress!, count: n) }
                length += n
                if n < bytes.count { overflow = bytes[n] }
            }
        }

        /// Whole scalars only: when the text was cut inside a UTF-8 sequence, back off to its start.
        mutating func finish() {
            if var next = overflow {
                while length > 0 && next & 0xC0 == 0x80 {
                    length -= 1
                    next = out[length]
                }
            }
            out[length] = 0
        }
    }

    private static func read(_ raw: UnsafeRawPointer, capacity: Int) -> String {
        let bytes = UnsafeRawBufferPointer(start: raw, count: capacity)
        let length = bytes.firstIndex(of: 0) ?? capacity
        return String(decoding: bytes[0..<length], as: UTF8.self)
    }
}
