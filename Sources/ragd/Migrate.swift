import ArgumentParser
import Logging
import RagdConfig
import RagdLog
import RagdPostgres
import RagdStore

/// `ragd migrate`: applies the database migrations this build knows. Safe to run from
/// several pods at once (an advisory lock serializes them).
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the PostgreSQL schema migrations.")

    func run() throws {
        let settings = try loadSettingsOrExit()
        RagdLogging.bootstrap(level: settings.loggerLevel)
        do {
            let applied = try migrateDatabase(settings)
            print(applied.isEmpty ? "database schema is current" : "applied migrations: \(applied.map(String.init).joined(separator: ", "))")
        } catch {
            printError("migrate: \(error)")
            throw ExitCode(1)
        }
    }
}

/// Opens a connection, applies missing migrations and closes it. The master calls this
/// before forking (MIGRATE_ON_START), so no connection is ever inherited by a worker.
func migrateDatabase(_ settings: Settings) throws -> [Int] {
    let connection = try PostgresConnection(url: settings.databaseURL.reveal(),
                                            options: .init(connectTimeout: .seconds(10)))
    defer { connection.close() }
    return try Migrations.run(on: connection)
}
