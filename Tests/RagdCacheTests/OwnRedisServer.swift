import Foundation
import RagdRedis
import RagdTesting
#if canImport(Glibc)
import Glibc
#endif

/// A `redis-server` of our own on a free port (persistence off), which a test can stop
/// and start again on the same port to play an outage. posix_spawn + waitpid, so the
/// child is reaped deterministically.
final class OwnRedisServer {
    let port: Int
    private let directory: String
    private var pid: pid_t?

    init() throws {
        var template = Array("/tmp/ragd-cache-redis-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CacheTestFailure("mkdtemp failed")
        }
        directory = String(cString: made)
        port = freePort()
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var url: String { "redis://127.0.0.1:\(port)" }

    func start() throws {
        let arguments = ["/usr/bin/redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "",
                         "--appendonly", "no", "--dir", directory, "--logfile", directory + "/redis.log"]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGCHLD, SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = argv.withUnsafeBufferPointer { posix_spawn(&child, arguments[0], &actions, &attributes, $0.baseAddress!, environ) }
        guard rc == 0 else { throw CacheTestFailure("posix_spawn redis-server failed: \(rc)") }
        pid = child
        let url = self.url
        let up = eventually(timeout: 10) {
            guard let probe = try? RedisConnection(url: url) else { return false }
            return (try? probe.ping()) != nil
        }
        guard up else {
            stop()
            throw CacheTestFailure("redis-server did not start on port \(port)")
        }
    }

    /// SIGTERM and wait: Redis closes every client connection on the way out.
    func stop() {
        guard let pid else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        self.pid = nil
    }
}
