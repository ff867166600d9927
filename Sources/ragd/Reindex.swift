import ArgumentParser
import RagdApp
import RagdConfig
import RagdLog
import RagdPipeline

/// `ragd reindex`: rebuilds the Milvus collection from PostgreSQL (after losing Milvus
/// data, or to change the embedding model or dimension).
struct Reindex: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drop and rebuild the Milvus collection from the documents in PostgreSQL.")

    func run() throws {
        let settings = try loadSettingsOrExit()
        RagdLogging.bootstrap(level: settings.loggerLevel)
        do {
            let result = try RagdApplication.reindexer(settings: settings).run { documents, chunks in
                if documents % 100 == 0 { print("reindexed \(documents) documents, \(chunks) chunks") }
            }
            print("reindex complete: \(result.documents) documents, \(result.chunks) chunks in \(settings.milvusCollection)")
        } catch {
            printError("reindex: \(error)")
            throw ExitCode(1)
        }
    }
}
