import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small process and socket helpers for the tests. The servers the tests use are
/// real (PostgreSQL, Redis, a Python HTTP server), started on free loopback ports in
/// temporary directories (as `ChildProcess`es) and stopped afterwards.
public enum TestSupport {
    /// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picked it).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw TestFailure("bind() failed") }
        return try localPort(of: fd)
    }

    public static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
        return address
    }

    public static func localPort(of fd: Int32) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { throw TestFailure("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// True when something accepts TCP connections on `host:port` right now.
    public static func canConnect(host: String = "127.0.0.1", port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        if host != "127.0.0.1" {
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return false }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// A new directory under /tmp, mode 0700.
    public static func makeTemporaryDirectory(_ prefix: String) throws -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let path = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestFailure("mkdtemp failed")
        }
        return String(cString: path)
    }

    /// Runs a program to completion with stdout and stderr appended to `logPath`;
    /// throws with the log's tail when it exits non-zero or runs past `timeout` seconds.
    public static func run(_ executable: String, _ arguments: [String], logPath: String, timeout: Double = 300) throws {
        let child = try ChildProcess(executable, arguments, logPath: logPath)
        guard let status = child.waitForExit(timeout: timeout) else {
            child.stop(signal: SIGKILL, grace: 5)
            throw TestFailure("\(executable) \(arguments.first ?? "") did not finish within \(Int(timeout)) s: \(child.log.suffix(1500))")
        }
        guard status == 0 else {
            throw TestFailure("\(executable) \(arguments.first ?? "") exited with status \(status): \(child.log.suffix(1500))")
        }
    }

    public static func removeDirectory(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The error `body` throws, or nil when it returns; a caller casts it to the type it
    /// expects, so another error fails its checks as a missing one would.
    public static func thrownError(_ body: () throws -> Void) -> Error? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }
}

/// A TCP listener on 127.0.0.1 that never accepts: the kernel completes handshakes into
/// the backlog, so clients connect and then wait forever for an answer. The stand-in for
/// a hung server when checking that timeouts hold.
public final class BlackHoleListener {
    public let port: Int
    private let fd: Int32

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        var address = TestSupport.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw TestFailure("bind/listen failed")
        }
        do {
            port = try TestSupport.localPort(of: fd)
        } catch {
            close(fd)
            throw error
        }
        self.fd = fd
    }

    deinit {
        close(fd)
    }
}
