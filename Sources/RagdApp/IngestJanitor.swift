import Foundation
import Logging
import RagdConfig
import RagdMilvus
import RagdPipeline
import RagdPostgres
import RagdStore
import RagdText

/// One background thread per worker that runs `Ingestor.janitorRound` at start and every
/// `IngestLease.janitorInterval` seconds: it keeps this worker's ingest leases alive and
/// removes documents whose ingest died (README, The document API). Its connections are its
/// own; a failing round (PostgreSQL or Milvus down) is logged once and retried with fresh
/// connections, without touching the serving threads.
enum IngestJanitor {
    static func start(settings: Settings) throws {
        let chunker = try Chunker(size: settings.chunkSize, overlap: settings.chunkOverlap)
        let thread = Thread {
            let logger = Logger(label: "ragd.janitor")
            var ingestor: Ingestor?
            var failing = false
            while true {
                do {
                    if ingestor == nil {
                        let store = DocumentStore(connection: try PostgresConnection(
                            url: settings.databaseURL.reveal(),
                            options: .init(connectTimeout: .seconds(5), statementTimeout: settings.databaseStatementTimeout)))
                        ingestor = Ingestor(store: store, milvus: try MilvusClient(configuration: APIContext.milvusConfiguration(settings)),
                                            embedder: try APIContext.makeEmbedder(settings), collection: settings.milvusCollection,
                                            chunker: chunker)
                    }
                    try ingestor?.janitorRound()
                    if failing { logger.notice("ingest janitor working again") }
                    failing = false
                } catch {
                    if !failing {
                        logger.warning("ingest janitor round failed; retrying with fresh connections",
                                       metadata: ["error": .string(String(describing: PipelineError.from(error)))])
                    }
                    failing = true
                    ingestor = nil
                }
                Thread.sleep(forTimeInterval: IngestLease.janitorInterval)
            }
        }
        thread.name = "ragd-janitor"
        thread.stackSize = 512 * 1024
        thread.start()
    }
}
