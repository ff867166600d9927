import Foundation

/// A `redis-server` on a free port with persistence off, in a temporary directory.
public final class ThrowawayRedis {
    public let port: Int
    public let password: String?
    private let directory: String
    private var process: ChildProcess?

    public init(password: String? = nil) throws {
        directory = try TestSupport.makeTemporaryDirectory("ragd-redis")
        port = try TestSupport.freePort()
        self.password = password
        try start()
    }

    deinit {
        stop()
        TestSupport.removeDirectory(directory)
    }

    /// `redis://[:password@]127.0.0.1:port`.
    public var url: String {
        "redis://" + (password.map { ":\($0)@" } ?? "") + "127.0.0.1:\(port)"
    }

    public func start() throws {
        var arguments = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                         "--dir", directory]
        if let password { arguments += ["--requirepass", password] }
        process = try ChildProcess("/usr/bin/redis-server", arguments, logPath: directory + "/redis.log")
        let port = self.port
        guard eventually(timeout: 10, { TestSupport.canConnect(port: port) }) else {
            stop()
            throw TestFailure("redis-server did not start on port \(port)")
        }
    }

    /// SIGTERM and wait: Redis closes every client connection on the way out.
    public func stop() {
        process?.stop()
        process = nil
    }
}
