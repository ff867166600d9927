import Logging
import RagdCore
import RagdLLM
import RagdMetrics
import RagdPipeline
import RagdRerank

/// One question as `/v1/query` received it, validated.
public struct Question: Sendable {
    public var tenant: String
    public var text: String
    /// Passages given to the model, 1...50.
    public var topK: Int
    /// Restrict retrieval to these documents; nil for all of the tenant's.
    public var documentIDs: [String]?
    /// Earlier turns (user/assistant), oldest first.
    public var history: [ChatMessage]
    public var temperature: Double?
    public var maxTokens: Int
    /// The caller's own instructions (system messages of `/v1/chat/completions`), given to
    /// the model after ragd's, which they cannot replace. Default none.
    public var instructions: String?
    /// Sampling options passed to the model as they are (see `ChatRequest`). Default none.
    public var topP: Double?
    public var stop: [String]
    public var seed: Int?

    public init(tenant: String, text: String, topK: Int, documentIDs: [String]?, history: [ChatMessage],
                temperature: Double?, maxTokens: Int, instructions: String? = nil,
                topP: Double? = nil, stop: [String] = [], seed: Int? = nil) {
        self.tenant = tenant
        self.text = text
        self.topK = topK
        self.documentIDs = documentIDs
        self.history = history
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.instructions = instructions
        self.topP = topP
        self.stop = stop
        self.seed = seed
    }
}

/// The passages for a question and the time it took to find them.
public struct Retrieval: Sendable {
    public var passages: [Passage]
    /// `embed`, `retrieve` and, when a reranker ran, `rerank`.
    public var timings: StageTimings
    /// False when no reranker is configured or it failed (then the fused order is kept).
    public var reranked: Bool
}

/// What the model (or the extractive fallback) answered.
public struct Generation: Sendable {
    public var text: String
    /// Only passages the text cites, in order of first citation.
    public var citations: [Citation]
    public var usage: ChatUsage
    /// "stop", or the provider's reason ("length" when `maxTokens` cut the answer).
    public var finishReason: String = "stop"
}

/// The answer pipeline: retrieve (hybrid), rerank, prompt with numbered passages, generate.
/// One per serving thread: it holds that thread's clients.
public final class Answerer {
    let retriever: Retriever
    let reranker: Reranker?
    let chat: ChatClient?
    let prompt = PromptBuilder()
    private let logger = Logger(label: "ragd.answer")

    /// - `chat`: nil answers extractively (no `LLM_API_KEY`).
    /// - `reranker`: nil keeps the fused (RRF) order.
    public init(retriever: Retriever, reranker: Reranker?, chat: ChatClient?) {
        self.retriever = retriever
        self.reranker = reranker
        self.chat = chat
    }

    public var mode: AnswerMode { chat == nil ? .extractive : .llm }

    /// Finds the question's passages. With a reranker, hybrid retrieval gathers more
    /// candidates than `topK` and the reranker picks and orders the best `topK`; if the
    /// reranker fails the fused order stands (logged): a worse order beats no answer.
    public func retrieve(_ question: Question) throws(PipelineError) -> Retrieval {
        let candidates = reranker == nil ? question.topK : min(max(question.topK * 3, 20), 50)
        let (hits, searchTimings) = try retriever.search(tenant: question.tenant, query: question.text, topK: candidates,
                                                        mode: .hybrid, documentIDs: question.documentIDs)
        var timings = StageTimings()
        timings.add("embed", milliseconds: searchTimings.milliseconds("embed") ?? 0)
        timings.add("retrieve", milliseconds: searchTimings.stages.filter { $0.name != "embed" }.reduce(0) { $0 + $1.milliseconds })
        var ordered = hits.map { (hit: $0, score: $0.score) }
        var reranked = false
        if let reranker, !hits.isEmpty {
            do {
                let results = try timings.measure("rerank") {
                    try reranker.rerank(query: question.text, documents: hits.map(\.text), topN: question.topK)
                }
                ordered = results.map { (hit: hits[$0.index], score: $0.score) }
                reranked = true
            } catch {
                logger.warning("rerank failed; keeping the fused order", metadata: ["error": .string(String(describing: error))])
            }
            MetricsRecorder.current?.recordStage("rerank", seconds: (timings.milliseconds("rerank") ?? 0) / 1000)
        }
        let passages = ordered.prefix(question.topK).enumerated().map { index, item in
            Passage(number: index + 1, hit: item.hit, score: item.score)
        }
        return Retrieval(passages: passages, timings: timings, reranked: reranked)
    }

    /// Writes the answer. `onDelta` receives the text as it is produced (return false to
    /// stop); `shouldContinue` is polled while the model is silent. Adds `generate` to
    /// `timings`. Extractive answers arrive as a single delta.
    public func generate(_ question: Question, passages: [Passage], timings: inout StageTimings,
                         onDelta: ((String) -> Bool)? = nil, shouldContinue: (() -> Bool)? = nil) throws(LLMError) -> Generation {
        guard let chat else {
            let text = timings.measure("generate") { ExtractiveAnswer.compose(question: question.text, passages: passages) }
            if let onDelta, !onDelta(text) {
                throw LLMError(.aborted, "the client went away")
            }
            return Generation(text: text, citations: citations(text, passages), usage: ChatUsage(promptTokens: 0, completionTokens: 0))
        }
        let request = ChatRequest(messages: prompt.messages(question: question.text, passages: passages, history: question.history,
                                                            instructions: question.instructions),
                                  temperature: question.temperature, maxTokens: question.maxTokens,
                                  topP: question.topP, stop: question.stop, seed: question.seed)
        let started = Clock.monotonicNanoseconds()
        let recorder = MetricsRecorder.current
        var firstToken = true
        func secondsSinceStart() -> Double { Double(Clock.elapsed(from: started, to: Clock.monotonicNanoseconds())) / 1e9 }
        let completion: ChatCompletion
        do {
            if let onDelta {
                completion = try chat.stream(request, shouldContinue: shouldContinue ?? { true }) { delta in
                    if firstToken {
                        firstToken = false
                        recorder?.recordTimeToFirstToken(seconds: secondsSinceStart())
                    }
                    return onDelta(delta)
                }
            } else {
                completion = try chat.complete(request)
                recorder?.recordTimeToFirstToken(seconds: secondsSinceStart())
            }
        } catch {
            timings.add("generate", milliseconds: secondsSinceStart() * 1000)
            recorder?.recordGeneration(outcome: Self.outcomeLabel(error.code), promptTokens: 0, completionTokens: 0)
            throw error
        }
        let seconds = secondsSinceStart()
        timings.add("generate", milliseconds: seconds * 1000)
        let usage = completion.usage ?? ChatUsage(promptTokens: 0, completionTokens: 0)
        recorder?.recordStage("generate", seconds: seconds)
        recorder?.recordGeneration(outcome: "ok", promptTokens: usage.promptTokens, completionTokens: usage.completionTokens)
        return Generation(text: completion.text, citations: citations(completion.text, passages), usage: usage,
                          finishReason: completion.finishReason ?? "stop")
    }

    /// `rag_llm_requests_total{outcome}`: the error code in snake case (`rate_limited`).
    static func outcomeLabel(_ code: LLMError.Code) -> String {
        String(code.description.flatMap { $0.isUppercase ? ["_", Character($0.lowercased())] : [$0] })
    }

    /// The passages `text` cites, in order of first citation; made-up numbers are dropped.
    func citations(_ text: String, _ passages: [Passage]) -> [Citation] {
        let byNumber = Dictionary(uniqueKeysWithValues: passages.map { ($0.number, $0) })
        return CitationMarkers.cited(in: text, passageCount: passages.count).compactMap { byNumber[$0].map(Citation.init) }
    }
}
