import Foundation

/// A process started by a test, with its stdout and stderr written to a file the test can
/// read: the one way the tests start a program, whether it serves for a while (ragd,
/// nginx, Redis, a Python tool) or runs to completion (`TestSupport.run`). A file, not a
/// pipe: a daemon it forks (`pg_ctl start`) keeps a pipe open after the program exits.
/// Started with posix_spawn and reaped with waitpid: Foundation's `Process` relies on a
/// SIGCHLD monitor that did not reap children reliably under the test runner's
/// cooperative threads (its `isRunning` stayed true, `waitUntilExit` never returned).
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let logPath: String
    /// The read end of stdout when started with `pipeOutput` (stdout is then not in the log).
    public let output: FileHandle?
    private let lock = NSLock()
    /// Set once reaped: the exit status, 128 + the signal when killed by one.
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments` and exactly `environment` (plus PATH), or the
    /// test runner's environment when nil. stdin is `inputPath` (default /dev/null);
    /// stderr goes to `logPath` with stdout, or to `errorLogPath` when given. With
    /// `pipeOutput`, stdout is a pipe read through `output`, for a client whose output is
    /// read as it arrives (a blocking read, not polling a file); only for programs that
    /// leave no daemon holding the pipe.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, logPath: String,
                errorLogPath: String? = nil, inputPath: String? = nil, currentDirectory: String? = nil,
                pipeOutput: Bool = false) throws {
        var env = environment ?? ProcessInfo.processInfo.environment
        env["PATH"] = env["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin:/usr/sbin:/sbin"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        self.logPath = logPath
        var pipeEnds: [Int32] = [-1, -1]
        // Close-on-exec, so children spawned meanwhile by other tests do not inherit the write
        // end (which would keep the pipe open after this process exits); dup2 in the child clears it.
        if pipeOutput && (Self.pipe2?(&pipeEnds, O_CLOEXEC) ?? -1) != 0 {
            throw TestFailure("cannot start \(executable): pipe2 failed (\(String(cString: strerror(errno))))")
        }
        defer { if pipeEnds[1] >= 0 { close(pipeEnds[1]) } }
        do {
            pid = try Self.spawn(executable, arguments, environment: env, logPath: logPath, errorLogPath: errorLogPath,
                                 inputPath: inputPath ?? "/dev/null", currentDirectory: currentDirectory,
                                 outputFD: pipeOutput ? pipeEnds[1] : nil)
        } catch {
            if pipeEnds[0] >= 0 { close(pipeEnds[0]) }
            throw error
        }
        output = pipeOutput ? FileHandle(fileDescriptor: pipeEnds[0], closeOnDealloc: true) : nil
    }

    public var isRunning: Bool { reaped() == nil }

    public func signal(_ signal: Int32) {
        guard isRunning else { return }
        kill(pid, signal)
    }

    /// Waits up to `timeout` seconds for the process to exit; returns its status (128 +
    /// the signal when a signal ended it) or nil.
    public func waitForExit(timeout: Double) -> Int32? {
        _ = eventually(timeout: timeout) { reaped() != nil }
        return reaped()
    }

    /// Waits as long as it takes for the process to exit and returns its status.
    public func waitForExit() -> Int32 {
        if let status = reaped() { return status }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        lock.lock()
        defer { lock.unlock() }
        let signal = status & 0x7f
        exitStatus = exitStatus ?? (signal == 0 ? (status >> 8) & 0xff : 128 + signal)
        return exitStatus!
    }

    /// What the process wrote so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The process's JSON log lines, parsed (other lines skipped).
    public var logLines: [[String: Any]] {
        log.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    /// Stops the process: `signal` first, SIGKILL after `grace` seconds.
    public func stop(signal: Int32 = SIGTERM, grace: Double = 10) {
        guard isRunning else { return }
        kill(pid, signal)
        if waitForExit(timeout: grace) == nil {
            kill(pid, SIGKILL)
            _ = waitForExit(timeout: 60)
        }
    }

    deinit { stop(signal: SIGKILL, grace: 1) }

    /// The exit status once the process has ended (reaping it then), else nil.
    private func reaped() -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid {
            let signal = status & 0x7f
            exitStatus = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        } else if result < 0 && errno == ECHILD {
            exitStatus = -1
        }
        return exitStatus
    }

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
    /// glibc's posix_spawn_file_actions_addchdir_np, which the Glibc module does not
    /// export (RTLD_DEFAULT is a null handle on glibc).
    private static let addChdir: AddChdir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map {
        unsafeBitCast($0, to: AddChdir.self)
    }

    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    /// glibc's pipe2, which the Glibc module does not export either (it needs _GNU_SOURCE).
    private static let pipe2: Pipe2? = dlsym(nil, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }

    private static func spawn(_ executable: String, _ arguments: [String], environment: [String: String], logPath: String,
                              errorLogPath: String?, inputPath: String, currentDirectory: String?,
                              outputFD: Int32?) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputPath, O_RDONLY, 0)
        if let errorLogPath {
            posix_spawn_file_actions_addopen(&actions, 2, errorLogPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        if let outputFD {
            posix_spawn_file_actions_adddup2(&actions, outputFD, 1)
        } else if errorLogPath == nil {
            posix_spawn_file_actions_adddup2(&actions, 2, 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        if let currentDirectory {
            guard let addChdir, addChdir(&actions, currentDirectory) == 0 else {
                throw TestFailure("cannot start \(executable) in \(currentDirectory)")
            }
        }
        // Children start with an empty signal mask and default handlers, whatever the
        // test runner did to its own.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0.key + "=" + $0.value) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = argv.withUnsafeBufferPointer { argvBuffer in
            envp.withUnsafeBufferPointer { envpBuffer in
                posix_spawn(&pid, executable, &actions, &attributes, argvBuffer.baseAddress!, envpBuffer.baseAddress!)
            }
        }
        guard rc == 0 else { throw TestFailure("cannot start \(executable): posix_spawn failed (\(String(cString: strerror(rc))))") }
        return pid
    }
}

/// How a program run to completion by `run` ended.
public struct RunResult: Sendable {
    public var status: Int32
    /// stdout, with stderr unless it was asked for apart.
    public var output: String
    /// stderr when asked for apart (`separateErrors`), else empty.
    public var errors: String
}

/// Runs a program to completion (a `ChildProcess`, waited for) with `input` as its stdin.
@discardableResult
public func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                input: Data? = nil, separateErrors: Bool = false) throws -> RunResult {
    let directory = try TestSupport.makeTemporaryDirectory("ragd-run")
    defer { TestSupport.removeDirectory(directory) }
    var inputPath: String?
    if let input {
        inputPath = directory + "/input"
        try input.write(to: URL(fileURLWithPath: directory + "/input"))
    }
    let child = try ChildProcess(executable, arguments, environment: environment, logPath: directory + "/output",
                                 errorLogPath: separateErrors ? directory + "/errors" : nil, inputPath: inputPath)
    let status = child.waitForExit()
    let errors = separateErrors ? (try? String(contentsOfFile: directory + "/errors", encoding: .utf8)) ?? "" : ""
    return RunResult(status: status, output: child.log, errors: errors)
}

/// Polls `condition` every 20 ms until it holds or `timeout` seconds pass: the one polling
/// helper of the tests (a condition, never a sleep).
public func eventually(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    repeat {
        if try condition() { return true }
        usleep(20_000)
    } while Date() < deadline
    return try condition()
}

/// The pids of `parent`'s direct children (from /proc).
public func childPIDs(of parent: Int32) -> Set<Int32> {
    let path = "/proc/\(parent)/task/\(parent)/children"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return Set(text.split(separator: " ").compactMap { Int32($0) })
}
