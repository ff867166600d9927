import RagdAnswer
import RagdCache
import RagdCore
import RagdMetrics
import RagdPipeline

/// The answer cache for one question: keyed by tenant, the tenant's corpus version (from
/// PostgreSQL, bumped by a trigger on every document change, so an answer never outlives
/// the corpus it read), the normalized question and every parameter that shapes the answer.
/// Redis unavailable, or the version unreadable: bypassed, the question is answered afresh.
final class CachedAnswers {
    private let cache: AnswerCache?
    private let tenant: String
    private let version: Int64?
    private let fingerprint: String
    private var outcome: CacheOutcome = .bypassed

    init(context: APIContext, backends: ThreadBackends, question: Question) {
        tenant = question.tenant
        let settings = context.settings
        guard settings.cacheTTL > .zero else {
            // Cache off: no corpus version to read, no key to build.
            (cache, version, fingerprint) = (nil, nil, "")
            return
        }
        cache = AnswerCache(redis: context.cacheRedis(), ttl: settings.cacheTTL)
        version = try? backends.store.corpusVersion(tenant: question.tenant)
        var parts: [String] = [
            JSONText.quoted(AnswerCache.normalizedQuestion(question.text)),
            String(question.topK),
            question.documentIDs.map { "[" + $0.sorted().map(JSONText.quoted).joined(separator: ",") + "]" } ?? "null",
            "[" + question.history.map { "[\(JSONText.quoted($0.role)),\(JSONText.quoted($0.content))]" }.joined(separator: ",") + "]",
            question.temperature.map { String($0) } ?? "null",
            String(question.maxTokens),
            JSONText.quoted(backends.answerer.mode.rawValue),
        ]
        if backends.answerer.mode == .llm { parts.append(JSONText.quoted(settings.llmModel)) }
        // Only `/v1/chat/completions` sets these; absent, the key is what it always was.
        if question.instructions != nil || question.topP != nil || !question.stop.isEmpty || question.seed != nil {
            parts.append(JSONText.object([
                ("instructions", question.instructions.map(JSONText.quoted) ?? "null"),
                ("top_p", question.topP.map { String($0) } ?? "null"),
                ("stop", "[" + question.stop.map(JSONText.quoted).joined(separator: ",") + "]"),
                ("seed", question.seed.map(String.init) ?? "null"),
            ]))
        }
        parts.append(JSONText.quoted(settings.rerankURL.map { "\($0) \(settings.rerankModel ?? "")" } ?? "rrf"))
        // The shape of the cached citations: entries made before they carried page
        // numbers must not answer now.
        parts.append("\"citations-v2\"")
        fingerprint = "[" + parts.joined(separator: ",") + "]"
    }

    /// The cached answer, or nil (counted as a hit, miss or bypass).
    func lookup() -> RenderedAnswer? {
        guard let cache, let version else {
            if cache != nil { record(.bypassed) }
            return nil
        }
        let found = cache.lookup(tenant: tenant, version: version, fingerprint: fingerprint)
        if let bytes = found.value, let answer = RenderedAnswer(cacheBytes: bytes) {
            record(.hit)
            return answer
        }
        record(found.outcome == .bypassed ? .bypassed : .miss)
        return nil
    }

    /// `X-Cache` of an answer made now: `miss`, or `bypass` when the cache was not usable.
    var missHeader: String { outcome == .miss ? "miss" : "bypass" }

    /// Generates the whole answer (not streamed) and stores it. An LLM failure is thrown as
    /// it is (`APIGuard.problem` makes it a 502/503/504).
    func generate(_ question: Question, _ retrieval: Retrieval, answerer: Answerer) throws -> (RenderedAnswer, StageTimings) {
        var timings = retrieval.timings
        let generation = try answerer.generate(question, passages: retrieval.passages, timings: &timings)
        let answer = RenderedAnswer(generation: generation, mode: answerer.mode, passages: retrieval.passages,
                                    reranked: retrieval.reranked)
        store(answer)
        return (answer, timings)
    }

    func store(_ answer: RenderedAnswer) {
        guard let cache, let version, outcome == .miss else { return }
        _ = cache.store(tenant: tenant, version: version, fingerprint: fingerprint, value: answer.cacheBytes)
    }

    private func record(_ result: CacheOutcome) {
        outcome = result
        MetricsRecorder.current?.recordCache("answer", result: result.rawValue)
    }
}
