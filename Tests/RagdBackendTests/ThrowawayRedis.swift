import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `redis-server` on a free port with persistence off, in a temporary directory.
final class ThrowawayRedis {
    let port: Int
    let password: String?
    private let directory: String
    private var process: pid_t?

    init(password: String? = nil) throws {
        directory = try TestSupport.makeTemporaryDirectory("ragd-redis")
        port = try TestSupport.freePort()
        self.password = password
        try start()
    }

    deinit {
        stop()
        TestSupport.removeDirectory(directory)
    }

    func start() throws {
        var arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                         "--dir", directory]
        if let password { arguments += ["--requirepass", password] }
        let process = try TestSupport.spawn("/usr/bin/redis-server", arguments, logPath: directory + "/redis.log")
        self.process = process
        let port = self.port
        guard TestSupport.waitUntil(timeout: .seconds(10), { TestSupport.canConnect(port: port) }) else {
            stop()
            throw TestSupport.Failure("redis-server did not start on port \(port)")
        }
    }

    /// SIGTERM and wait: Redis closes every client connection on the way out.
    func stop() {
        if let process { TestSupport.stop(process) }
        process = nil
    }
}
