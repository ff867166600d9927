import CRagdShim
import RagdCore
#if canImport(Glibc)
import Glibc
#endif

/// Limits for one parser run. The parser gets the CPU, memory and file-size limits from
/// `prlimit(1)` before it executes (so they hold from its first instruction); the wall
/// clock and the output cap are enforced here, by killing its process group.
public struct SandboxLimits: Sendable, Equatable {
    /// Wall-clock seconds before the child is killed.
    public var seconds: Double
    /// CPU seconds (RLIMIT_CPU; the kernel sends SIGXCPU, then SIGKILL).
    public var cpuSeconds: Int
    /// Address space in bytes (RLIMIT_AS): allocations beyond it fail. 512 MiB by default:
    /// pdftotext reads a 251-page PDF within 128 MiB, and a parser's memory counts
    /// against the pod's limit next to the workers'.
    public var memoryBytes: Int
    /// Standard output read at most; more kills the child and marks the result `overflowed`.
    public var outputBytes: Int

    public init(seconds: Double = 30, cpuSeconds: Int = 30, memoryBytes: Int = 512 << 20, outputBytes: Int = 64 << 20) {
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
        self.memoryBytes = memoryBytes
        self.outputBytes = outputBytes
    }
}

/// How a sandboxed run ended.
public struct SandboxResult: Sendable {
    /// Standard output (at most `outputBytes`).
    public var output: [UInt8]
    /// The end of standard error (at most 8 KiB), for classifying failures.
    public var errorText: String
    /// The exit status, or nil when the child was killed by a signal.
    public var exitStatus: Int32?
    /// The signal that ended the child, if any.
    public var signal: Int32?
    /// Killed because the wall clock ran out.
    public var timedOut: Bool
    /// Killed because standard output passed `outputBytes`.
    public var overflowed: Bool

    /// Exited with status 0 on its own.
    public var succeeded: Bool { exitStatus == 0 && !timedOut && !overflowed }
    /// Killed by the CPU or memory limit (SIGXCPU/SIGKILL from the kernel, SIGSEGV/SIGABRT
    /// from a failed allocation) rather than by us.
    public var crashed: Bool { signal != nil && !timedOut && !overflowed }
}

/// Runs a parser in a child process with limits, reading its output through pipes.
///
/// The child is started with posix_spawn (workers are multi-threaded: nothing may run
/// between fork and exec), in a process group of its own, with no descriptor of the
/// worker but the two pipes. The first program is `prlimit`, which sets RLIMIT_CPU,
/// RLIMIT_AS, RLIMIT_FSIZE 0 (a parser has no business writing files) and RLIMIT_CORE 0
/// on itself and then executes the parser. A hostile file can therefore cost at most
/// the limits, and never the worker.
public enum Sandbox {
    /// `prlimit` from util-linux (Essential in Debian, so in every image).
    static let prlimit = "/usr/bin/prlimit"
    static let maxErrorBytes = 8192

    /// Runs `executable` with `arguments` under `limits`, standard output collected into
    /// the result.
    public static func run(_ executable: String, _ arguments: [String], limits: SandboxLimits) throws(SandboxError) -> SandboxResult {
        var collected: [UInt8] = []
        var result = try run(executable, arguments, limits: limits) { collected.append(contentsOf: $0) }
        result.output = collected
        return result
    }

    /// Runs `executable` with `arguments` under `limits`, standard output handed to
    /// `consume` piece by piece as it arrives (the cap counts every byte); the result's
    /// `output` is empty.
    public static func run(_ executable: String, _ arguments: [String], limits: SandboxLimits,
                           consume: (ArraySlice<UInt8>) -> Void) throws(SandboxError) -> SandboxResult {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard CRagdShim_pipe_cloexec(&outPipe) == 0 else { throw SandboxError("pipe failed: \(errnoText())") }
        guard CRagdShim_pipe_cloexec(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw SandboxError("pipe failed: \(errnoText())")
        }
        let argv = [prlimit, "--cpu=\(limits.cpuSeconds)", "--as=\(limits.memoryBytes)", "--fsize=0", "--core=0",
                    "--", executable] + arguments
        // A fixed, minimal environment: nothing of the worker's (secrets included) reaches
        // the parser; C.UTF-8 so that tools print UTF-8.
        let environment = ["PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8"]
        var pid: pid_t = 0
        let spawned = withCStrings(argv) { cArgv in
            withCStrings(environment) { cEnv in
                CRagdShim_spawn_isolated(prlimit, cArgv, cEnv, outPipe[1], errPipe[1], &pid)
            }
        }
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw SandboxError("cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        defer { close(outPipe[0]); close(errPipe[0]) }

        var outputCount = 0
        var errors: [UInt8] = []
        var timedOut = false, overflowed = false
        let deadline = Clock.monotonicNanoseconds() + UInt64(limits.seconds * 1e9)
        var open = [true, true]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open[0] || open[1] {
            let now = Clock.monotonicNanoseconds()
            if now >= deadline { timedOut = true; break }
            var fds = [pollfd(fd: open[0] ? outPipe[0] : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: open[1] ? errPipe[0] : -1, events: Int16(POLLIN), revents: 0)]
            let wait = Int32(min(1000, max(1, (deadline - now) / 1_000_000)))
            let ready = poll(&fds, 2, wait)
            if ready < 0 && errno != EINTR { break }
            for (index, fd) in [outPipe[0], errPipe[0]].enumerated() where open[index] && fds[index].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if n <= 0 { open[index] = false; continue }
                if index == 0 {
                    outputCount += n
                    if outputCount > limits.outputBytes { break }
                    consume(buffer[0..<n])
                } else {
                    errors.append(contentsOf: buffer[0..<n])
                    if errors.count > 2 * maxErrorBytes { errors.removeFirst(errors.count - maxErrorBytes) }
                }
            }
            if outputCount > limits.outputBytes { overflowed = true; break }
        }
        if timedOut || overflowed { kill(-pid, SIGKILL) }
        let status = reap(pid, until: deadline)
        if status == nil {
            // Both pipes closed but the child lives on past the clock: end it.
            timedOut = true
            kill(-pid, SIGKILL)
        }
        let final = status ?? reap(pid, until: Clock.monotonicNanoseconds() + 5_000_000_000) ?? 0
        let exited = CRagdShim_WIFEXITED(final) != 0
        return SandboxResult(output: [], errorText: String(decoding: errors.suffix(maxErrorBytes), as: UTF8.self),
                             exitStatus: exited ? CRagdShim_WEXITSTATUS(final) : nil,
                             signal: CRagdShim_WIFSIGNALED(final) != 0 ? CRagdShim_WTERMSIG(final) : nil,
                             timedOut: timedOut, overflowed: overflowed)
    }

    /// Waits for `pid` until `deadline` (polling: waitpid has no timeout); nil if it is
    /// still running then.
    private static func reap(_ pid: pid_t, until deadline: UInt64) -> Int32? {
        var status: Int32 = 0
        while true {
            let rc = waitpid(pid, &status, WNOHANG)
            if rc == pid { return status }
            // Not our child any more (cannot happen unless someone else reaps): report
            // it as a run that failed, exit status 127.
            if rc < 0 && errno != EINTR { return 127 << 8 }
            if Clock.monotonicNanoseconds() >= deadline { return nil }
            usleep(2000)
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// The sandbox itself failed (no pipe, no prlimit): a server problem, not the file's.
public struct SandboxError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
