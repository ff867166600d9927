import ArgumentParser
import Logging
import RagdConfig
import RagdLog
import RagdPostgres
import RagdStore
import RagdText

/// `ragd migrate`: applies the database migrations this build knows. Safe to run from
/// several pods at once (an advisory lock serializes them).
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the PostgreSQL schema migrations.")

    func run() throws {
        let settings = try loadSettingsOrExit()
        RagdLogging.bootstrap(level: settings.loggerLevel)
        do {
            let result = try migrateDatabase(settings)
            print(result.applied.isEmpty ? "database schema is current"
                                         : "applied migrations: \(result.applied.map(String.init).joined(separator: ", "))")
            if result.documentsLackingKeywordIndex > 0 {
                print("\(result.documentsLackingKeywordIndex) documents lack keyword terms of the current tokenizer (version \(SearchTokenizer.version)): run `ragd reindex --keyword-only`")
            }
        } catch {
            printError("migrate: \(error)")
            throw ExitCode(1)
        }
    }
}

/// Opens a connection, applies missing migrations, counts the ready documents whose
/// keyword terms are missing (found by the vector leg only) or from an older tokenizer
/// version (found through the terms that version made) until `ragd reindex
/// --keyword-only`, and closes it. The master calls
/// this before forking (MIGRATE_ON_START), so no connection is ever inherited by a worker.
func migrateDatabase(_ settings: Settings) throws -> (applied: [Int], documentsLackingKeywordIndex: Int) {
    let connection = try PostgresConnection(url: settings.databaseURL.reveal(),
                                            options: .init(connectTimeout: .seconds(10)))
    defer { connection.close() }
    let applied = try Migrations.run(on: connection)
    let stale = try DocumentStore(connection: connection).countDocumentsNeedingKeywordIndex(version: SearchTokenizer.version)
    return (applied, stale)
}
