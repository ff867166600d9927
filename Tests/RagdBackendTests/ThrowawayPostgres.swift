import Foundation
import RagdTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL 15 cluster in a temporary directory on a free port, run as the `postgres`
/// user (PostgreSQL refuses root). Password authentication (SCRAM) is on for TCP so that
/// a wrong password really fails.
final class ThrowawayPostgres: @unchecked Sendable {
    static let binaries = "/usr/lib/postgresql/15/bin"
    static let password = "Pg-Secret-7781"

    @TaskLocal static var current: ThrowawayPostgres?

    let directory: String
    let port: Int
    private var dataDirectory: String { directory + "/data" }
    private var logPath: String { directory + "/server.log" }

    /// `postgres://postgres:<password>@127.0.0.1:<port>/postgres`
    var url: String { url(password: Self.password) }

    func url(password: String) -> String {
        "postgres://postgres:\(password)@127.0.0.1:\(port)/postgres"
    }

    private init(directory: String, port: Int) {
        self.directory = directory
        self.port = port
    }

    /// initdb + start; the caller must `destroy()`.
    static func create() throws -> ThrowawayPostgres {
        let directory = try TestSupport.makeTemporaryDirectory("ragd-pg")
        guard let user = getpwnam("postgres") else { throw TestFailure("no postgres user") }
        let uid = user.pointee.pw_uid, gid = user.pointee.pw_gid
        guard chown(directory, uid, gid) == 0 else { throw TestFailure("chown failed") }
        let passwordFile = directory + "/pwfile"
        try (password + "\n").write(toFile: passwordFile, atomically: false, encoding: .utf8)
        chown(passwordFile, uid, gid)
        let server = ThrowawayPostgres(directory: directory, port: try TestSupport.freePort())
        _ = FileManager.default.createFile(atPath: server.logPath, contents: nil)
        chown(server.logPath, uid, gid)
        do {
            try server.asPostgres("initdb", ["-D", server.dataDirectory, "-U", "postgres", "-A", "scram-sha-256",
                                             "--pwfile=\(passwordFile)", "-E", "UTF8", "--no-locale", "-N"])
            try server.start()
        } catch {
            server.destroy()
            throw error
        }
        return server
    }

    func start() throws {
        try asPostgres("pg_ctl", ["-D", dataDirectory, "-l", logPath, "-w", "-t", "60",
                                  "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off",
                                  "start"])
    }

    /// Fast shutdown: sessions get "terminating connection" and are closed.
    func stop() throws {
        try asPostgres("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
    }

    func destroy() {
        try? stop()
        TestSupport.removeDirectory(directory)
    }

    private func asPostgres(_ tool: String, _ arguments: [String]) throws {
        try TestSupport.run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(Self.binaries)/\(tool)"] + arguments,
                            logPath: directory + "/tools.log")
    }
}

/// Starts one throwaway cluster around a whole suite and stops it afterwards.
struct PostgresServerTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        let server = try ThrowawayPostgres.create()
        defer { server.destroy() }
        try await ThrowawayPostgres.$current.withValue(server) {
            try await function()
        }
    }
}

extension Trait where Self == PostgresServerTrait {
    /// A throwaway PostgreSQL cluster for the suite (`ThrowawayPostgres.current`).
    static var throwawayPostgres: Self { Self() }
}
