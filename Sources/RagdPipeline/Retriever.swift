import RagdCore
import RagdEmbedding
import RagdMetrics
import RagdMilvus
import RagdStore
import RagdText

/// How a search finds passages.
public enum SearchMode: String, Sendable, CaseIterable {
    /// Vector and keyword search fused by weighted reciprocal rank fusion.
    case hybrid
    /// Milvus nearest neighbours only.
    case vector
    /// BM25 keyword search (PostgreSQL, ragd's tokenizer) only.
    case keyword
}

/// One passage found by a search.
public struct SearchHit: Sendable, Equatable {
    public var chunkID: String
    public var documentID: String
    public var title: String
    public var source: String?
    public var ordinal: Int
    public var text: String
    /// The fused (weighted) RRF score, with the document rankings' shares in hybrid
    /// mode, or the single leg's in vector/keyword mode.
    public var score: Double
    /// 1-based rank in the vector leg and in the keyword leg; nil where absent.
    public var vectorRank: Int?
    public var keywordRank: Int?
    /// The PDF pages the passage came from; nil for other formats.
    public var pages: PageRange?

    public init(chunkID: String, documentID: String, title: String, source: String?, ordinal: Int, text: String,
                score: Double, vectorRank: Int?, keywordRank: Int?, pages: PageRange? = nil) {
        self.pages = pages
        self.chunkID = chunkID
        self.documentID = documentID
        self.title = title
        self.source = source
        self.ordinal = ordinal
        self.text = text
        self.score = score
        self.vectorRank = vectorRank
        self.keywordRank = keywordRank
    }
}

/// How the two legs of a hybrid search are combined. The defaults were chosen on the dev
/// sets (README, "Retrieval quality"): a small k, so each leg's first results count far
/// more than its tail, and the keyword leg weighted three times, since BM25 over ragd's
/// terms beats the local embedder's vectors on both corpora (the e5 profile sets 1).
/// Two document-level legs re-order the candidates: documents ranked by BM25 over their
/// titles and over their whole sections give each candidate chunk of theirs a share.
public struct FusionSettings: Sendable, Equatable {
    /// Chunks each leg contributes (at least `top_k`). Default 30.
    public var candidates: Int
    /// The RRF constant. Default 5.
    public var rrfK: Double
    /// Weight of the vector leg. Default 1.
    public var vectorWeight: Double
    /// Weight of the keyword leg. Default 3.
    public var keywordWeight: Double
    /// Weight of the documents ranked by their titles (0 turns the leg off). Default 1.5.
    public var titleWeight: Double
    /// Weight of the documents ranked by their whole sections (0: off). Default 0.5.
    public var sectionWeight: Double

    public init(candidates: Int = 30, rrfK: Double = 5, vectorWeight: Double = 1, keywordWeight: Double = 3,
                titleWeight: Double = 1.5, sectionWeight: Double = 0.5) {
        self.candidates = candidates
        self.rrfK = rrfK
        self.vectorWeight = vectorWeight
        self.keywordWeight = keywordWeight
        self.titleWeight = titleWeight
        self.sectionWeight = sectionWeight
    }
}

/// Hybrid retrieval: Milvus (always filtered by tenant) and BM25 over ragd's own terms
/// in PostgreSQL, fused with weighted reciprocal rank fusion, then resolved against ready
/// rows of the tenant.
public final class Retriever {
    let store: DocumentStore
    let milvus: MilvusClient
    let embedder: Embedder
    let collection: String
    let fusion: FusionSettings

    public init(store: DocumentStore, milvus: MilvusClient, embedder: Embedder, collection: String,
                fusion: FusionSettings = FusionSettings()) {
        self.store = store
        self.milvus = milvus
        self.embedder = embedder
        self.collection = collection
        self.fusion = fusion
    }

    /// - `documentIDs`: restrict to these documents (already tenant-checked or not: every
    ///   leg filters by tenant anyway).
    /// Hits best first, and the time of each stage: `embed` (the query), `vector`
    /// (Milvus), `keyword` (BM25 in PostgreSQL), `documents` (the title and section
    /// rankings, hybrid only), `fetch` (chunk rows).
    public func search(tenant: String, query: String, topK: Int, mode: SearchMode,
                       documentIDs: [String]? = nil) throws(PipelineError) -> (hits: [SearchHit], timings: StageTimings) {
        do {
            var timings = StageTimings()
            let started = Clock.monotonicNanoseconds()
            defer {
                MetricsRecorder.current?.recordStage("retrieve", seconds: Double(Clock.monotonicNanoseconds() - started) / 1e9)
            }
            // Each leg looks deeper than top_k, so fusion has candidates to agree on. The
            // depth does not depend on top_k, so the first five of a top_k 10 search are
            // the results of a top_k 5 search.
            let depth = max(fusion.candidates, topK)
            var vectorIDs: [String] = []
            var keywordIDs: [String] = []
            var documentOf: [String: String] = [:]  // candidate chunk -> its document
            let terms = mode == .vector ? [] : SearchTokenizer.queryTerms(query)
            if mode != .keyword {
                let vector = try timings.measure("embed") { try embedder.embedQuery(query) }
                MetricsRecorder.current?.recordStage("embed", seconds: (timings.milliseconds("embed") ?? 0) / 1000)
                let hits = try timings.measure("vector") {
                    try milvus.search(collection: collection, vector: vector, tenant: tenant, limit: depth, documentIDs: documentIDs)
                }
                vectorIDs = hits.map(\.chunkID)
                for hit in hits { documentOf[hit.chunkID] = hit.documentID }
            }
            if mode != .vector {
                let hits = try timings.measure("keyword") {
                    try store.keywordSearch(tenant: tenant, terms: terms, limit: depth, documentIDs: documentIDs)
                }
                keywordIDs = hits.map(\.chunkID)
                for hit in hits { documentOf[hit.chunkID] = hit.documentID }
            }
            var documentLegs: [(ranking: [String], weight: Double)] = []
            if mode == .hybrid && (fusion.titleWeight > 0 || fusion.sectionWeight > 0) {
                let ranked = try timings.measure("documents") {
                    try store.documentKeywordSearch(tenant: tenant, terms: terms, limit: depth, documentIDs: documentIDs)
                }
                documentLegs = [(ranked.byTitle, fusion.titleWeight), (ranked.bySection, fusion.sectionWeight)]
            }
            let fused = ReciprocalRankFusion.fuse([vectorIDs, keywordIDs], weights: [fusion.vectorWeight, fusion.keywordWeight],
                                                  k: fusion.rrfK, limit: depth * 2, groupLists: documentLegs, groupOf: documentOf)
            // Resolve against ready rows of this tenant: drops vectors of documents that
            // are pending, deleted or (impossibly) another tenant's.
            let rows = Dictionary(uniqueKeysWithValues: try timings.measure("fetch") {
                try store.chunks(ids: fused.map(\.id), tenant: tenant)
            }.map { ($0.chunkID, $0) })
            var hits: [SearchHit] = []
            for item in fused {
                guard let row = rows[item.id] else { continue }
                hits.append(SearchHit(chunkID: row.chunkID, documentID: row.documentID, title: row.title, source: row.source,
                                      ordinal: row.ordinal, text: row.text, score: item.score,
                                      vectorRank: item.ranks[0], keywordRank: item.ranks[1], pages: row.pages))
                if hits.count == topK { break }
            }
            return (hits, timings)
        } catch {
            throw PipelineError.from(error)
        }
    }
}
