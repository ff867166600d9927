import Foundation
import RagdTesting
import Testing
@testable import RagdExtract

/// The parser sandbox: every limit is enforced on a real child that tries to pass it.
@Suite struct SandboxTests {
    func sh(_ script: String, _ limits: SandboxLimits = SandboxLimits()) throws -> SandboxResult {
        try Sandbox.run("/bin/sh", ["-c", script], limits: limits)
    }

    @Test func outputAndStatusComeBack() throws {
        let result = try sh("printf 'hello'; echo oops >&2; exit 3")
        #expect(String(decoding: result.output, as: UTF8.self) == "hello")
        #expect(result.errorText == "oops\n")
        #expect(result.exitStatus == 3)
        #expect(!result.succeeded && !result.timedOut && !result.overflowed && !result.crashed)
        #expect(try sh("true").succeeded)
    }

    @Test func wallClockKillsTheWholeGroup() throws {
        let started = Date()
        // The grandchild keeps the pipe open: only killing the process group ends it.
        let result = try sh("sleep 30 & sleep 30", SandboxLimits(seconds: 0.5))
        #expect(result.timedOut)
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func cpuLimitEndsABusyLoop() throws {
        // One CPU second, however long a busy machine takes to give it: the kernel ends
        // the loop, not our clock.
        let result = try sh("while :; do :; done", SandboxLimits(seconds: 60, cpuSeconds: 1))
        #expect(result.crashed, "killed by the kernel: \(String(describing: result.signal))")
        #expect(result.signal == SIGXCPU || result.signal == SIGKILL)
        #expect(!result.timedOut)
    }

    @Test func memoryLimitFailsLargeAllocations() throws {
        let allocate = ["-c", "x = bytearray(256 << 20); print(len(x))"]
        let unlimited = try Sandbox.run("/usr/bin/python3", allocate, limits: SandboxLimits())
        #expect(unlimited.succeeded, "the same allocation works under the default 512 MiB: \(unlimited.errorText)")
        let limited = try Sandbox.run("/usr/bin/python3", allocate, limits: SandboxLimits(memoryBytes: 128 << 20))
        #expect(!limited.succeeded)
        #expect(limited.errorText.contains("MemoryError"), "\(limited.errorText)")
    }

    @Test func outputIsCutOffAtTheCap() throws {
        let result = try Sandbox.run("/usr/bin/yes", [], limits: SandboxLimits(outputBytes: 1 << 20))
        #expect(result.overflowed)
        #expect(result.output.count <= 1 << 20)
    }

    @Test func filesCannotBeWritten() throws {
        let directory = try TestSupport.makeTemporaryDirectory("ragd-sandbox")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try sh("echo data > '\(directory)/written'")
        #expect(!result.succeeded, "RLIMIT_FSIZE 0")
        let size = (try? FileManager.default.attributesOfItem(atPath: directory + "/written")[.size] as? Int) ?? 0
        #expect(size == 0)
    }

    @Test func nothingOfTheParentLeaks() throws {
        // An open descriptor of ours (not close-on-exec) and our environment stay here.
        let fd = open("/dev/null", O_RDONLY)
        defer { close(fd) }
        setenv("RAGD_SANDBOX_SECRET", "hunter2", 1)
        defer { unsetenv("RAGD_SANDBOX_SECRET") }
        let result = try sh("ls /proc/$$/fd; env")
        let lines = String(decoding: result.output, as: UTF8.self).split(separator: "\n")
        #expect(!lines.contains(Substring(String(fd))) || fd <= 3, "descriptor \(fd) leaked: \(lines)")
        #expect(lines.filter { Int($0) != nil }.allSatisfy { Int($0)! <= 3 }, "only stdin, stdout, stderr (and ls's own): \(lines)")
        #expect(!lines.contains { $0.contains("hunter2") })
        #expect(lines.contains("LC_ALL=C.UTF-8"))
    }

    @Test func aMissingProgramIsAnExitStatusNotACrash() throws {
        let result = try Sandbox.run("/nonexistent/parser", [], limits: SandboxLimits())
        #expect(result.exitStatus == 126 || result.exitStatus == 127 || result.exitStatus == 1, "\(String(describing: result.exitStatus))")
        #expect(!result.succeeded)
    }
}
