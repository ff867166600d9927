import ArgumentParser
import RagdApp
import RagdConfig
import RagdLog
import RagdPipeline

/// `ragd reindex`: rebuilds the Milvus collection from PostgreSQL (after losing Milvus
/// data, or to change the embedding model or dimension) and fills the keyword index of
/// documents indexed by another tokenizer version; `--keyword-only` does only the latter
/// (after upgrading to migration 3, or to a new tokenizer), without touching Milvus.
struct Reindex: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild the Milvus collection and the keyword index from the documents in PostgreSQL.")

    @Flag(name: .customLong("keyword-only"), help: "Only build the keyword index of documents that lack it (Milvus untouched).")
    var keywordOnly = false

    func run() throws {
        let settings = try loadSettingsOrExit()
        RagdLogging.bootstrap(level: settings.loggerLevel)
        do {
            let report: (Int, Int) -> Void = { documents, chunks in
                if documents % 100 == 0 { print("reindexed \(documents) documents, \(chunks) chunks") }
            }
            if keywordOnly {
                let result = try RagdApplication.keywordReindexer(settings: settings).run(progress: report)
                print("keyword index complete: \(result.documents) documents, \(result.chunks) chunks")
                return
            }
            let result = try RagdApplication.reindexer(settings: settings).run(progress: report)
            print("reindex complete: \(result.documents) documents, \(result.chunks) chunks in \(settings.milvusCollection)")
        } catch {
            printError("reindex: \(error)")
            throw ExitCode(1)
        }
    }
}
