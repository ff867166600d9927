import Foundation
import Logging
import RagdConfig
import RagdMilvus
import RagdPipeline
import RagdPostgres
import RagdStore
import RagdText

/// The two background threads of each worker, each on connections of its own, so they
/// never compete with the serving threads:
/// * `ragd-janitor` runs `Ingestor.janitorRound` at start and every
///   `IngestLease.janitorInterval` seconds: it keeps this process's ingest leases alive,
///   queues again the jobs of dead runners and removes documents whose ingest died
///   (README, The document API);
/// * `ragd-jobs` runs background ingests (`IngestJobRunner`), polling the queue every
///   second while it is empty.
/// A failing round (PostgreSQL or Milvus down) is logged once and retried with fresh
/// connections.
enum IngestJanitor {
    static func start(settings: Settings) throws {
        let chunker = try Chunker(size: settings.chunkSize, overlap: settings.chunkOverlap)
        loop(name: "ragd-janitor", settings: settings, chunker: chunker) { ingestor, runner in
            try ingestor.janitorRound()
            try runner.requeueAbandoned()
            return IngestLease.janitorInterval
        }
        loop(name: "ragd-jobs", settings: settings, chunker: chunker) { _, runner in
            try runner.runOne() ? 0 : 1
        }
    }

    /// Runs `round` forever on a thread; it returns how long to pause before the next.
    private static func loop(name: String, settings: Settings, chunker: Chunker,
                             _ round: @escaping (Ingestor, IngestJobRunner) throws -> Double) {
        let thread = Thread {
            let logger = Logger(label: "ragd." + name.replacingOccurrences(of: "ragd-", with: ""))
            var backends: (Ingestor, IngestJobRunner)?
            var failing = false
            while true {
                var pause = IngestLease.janitorInterval
                do {
                    if backends == nil {
                        let store = DocumentStore(connection: try PostgresConnection(
                            url: settings.databaseURL.reveal(),
                            options: .init(connectTimeout: .seconds(5), statementTimeout: settings.databaseStatementTimeout)))
                        let ingestor = Ingestor(store: store, milvus: try MilvusClient(configuration: APIContext.milvusConfiguration(settings)),
                                                embedder: try APIContext.makeEmbedder(settings), collection: settings.milvusCollection,
                                                chunker: chunker)
                        backends = (ingestor, IngestJobRunner(store: store, ingestor: ingestor, batchSize: settings.ingestBatchSize))
                    }
                    if let (ingestor, runner) = backends { pause = try round(ingestor, runner) }
                    if failing { logger.notice("\(name) working again") }
                    failing = false
                } catch {
                    if !failing {
                        logger.warning("\(name) failed; retrying with fresh connections",
                                       metadata: ["error": .string(String(describing: PipelineError.from(error)))])
                    }
                    failing = true
                    backends = nil
                }
                if pause > 0 { Thread.sleep(forTimeInterval: pause) }
            }
        }
        thread.name = name
        thread.stackSize = 1024 * 1024
        thread.start()
    }
}
