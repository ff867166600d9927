import RagdAnswer
import RagdAuth
import RagdCore
import RagdHTTP
import RagdLLM
import RagdPipeline

/// `POST /v1/query {question, top_k?, filter?, history?, stream?, temperature?, max_tokens?}`:
/// retrieve, rerank, generate with numbered passages; a JSON answer, or with `stream: true`
/// the SSE events `sources`, `delta`..., then `done` (or `error`). Answers are cached in
/// Redis per tenant and corpus version (`X-Cache: hit|miss|bypass`).
enum QueryRoutes {
    static func register(on router: inout Router, context: APIContext) {
        router.add("POST", "/v1/query", guardedBy: context.guardian, anyOf: [AuthScope.query]) { request, principal in
            let body = try JSONBody(request)
            try body.allowOnly(["question", "top_k", "filter", "history", "stream", "temperature", "max_tokens"])
            let text = try body.string("question", required: true, maxLength: QuestionLimits.maxQuestionLength, allowEmpty: false)!
            guard !text.allSatisfy(\.isWhitespace) else { throw JSONBody.invalid("question", "must not be blank") }
            let topK = try body.int("top_k", range: 1...20) ?? 5
            let history = try parseHistory(body)
            let stream = try body.bool("stream") ?? false
            let temperature = try body.double("temperature", range: 0...2)
            let maxTokens = try body.int("max_tokens", range: 1...context.settings.llmMaxTokens) ?? context.settings.llmMaxTokens
            let filter = try SearchFilter.parse(body)
            let backends = try context.threadBackends()
            let documentIDs = try filter?.documentIDs(tenant: principal.tenant, store: backends.store)
            let question = Question(tenant: principal.tenant, text: text, topK: topK, documentIDs: documentIDs,
                                    history: history, temperature: temperature, maxTokens: maxTokens)

            let cache = CachedAnswers(context: context, backends: backends, question: question)
            if let hit = cache.lookup() {
                return respond(hit, stream: stream, cacheHeader: "hit", context: context)
            }
            let retrieval = try backends.answerer.retrieve(question)
            if stream {
                return streamed(question, retrieval, backends: backends, cache: cache, context: context, request: request)
            }
            let (answer, timings) = try cache.generate(question, retrieval, answerer: backends.answerer)
            return respond(answer, stream: false, cacheHeader: cache.missHeader, timings: timings, context: context)
        }
    }

    /// `history: [{role: "user"|"assistant", content}]`, at most 20 turns.
    static func parseHistory(_ body: JSONBody) throws -> [ChatMessage] {
        guard let list = try body.array("history") else { return [] }
        guard list.count <= QuestionLimits.maxHistoryTurns else {
            throw JSONBody.invalid("history", "must have at most \(QuestionLimits.maxHistoryTurns) turns")
        }
        return try list.enumerated().map { index, item in
            guard let turn = item as? [String: Any], Set(turn.keys).isSubset(of: ["role", "content"]) else {
                throw JSONBody.invalid("history[\(index)]", "must be an object {role, content}")
            }
            guard let role = turn["role"] as? String, role == "user" || role == "assistant" else {
                throw JSONBody.invalid("history[\(index)].role", "must be \"user\" or \"assistant\"")
            }
            guard let content = turn["content"] as? String, !content.isEmpty, content.count <= QuestionLimits.maxHistoryContent else {
                throw JSONBody.invalid("history[\(index)].content", "must be a non-empty string of at most \(QuestionLimits.maxHistoryContent) characters")
            }
            if content.utf8.contains(0) { throw JSONBody.invalid("history[\(index)].content", JSONBody.nulMessage) }
            return ChatMessage(role: role, content: content)
        }
    }

    // MARK: responses

    /// A whole answer as JSON, or replayed as events (a cache hit asked for a stream).
    static func respond(_ answer: RenderedAnswer, stream: Bool, cacheHeader: String, timings: StageTimings = StageTimings(),
                        context: APIContext) -> Response {
        let timingsJSON = answerTimingsJSON(timings)
        var response: Response
        if stream {
            response = Response.stream(contentType: "text/event-stream") { output in
                let events = EventStreamWriter(output, heartbeatInterval: context.settings.sseHeartbeat)
                try events.send("sources", JSONText.object([("sources", answer.sourcesJSON)]))
                try events.send("delta", JSONText.object([("text", JSONText.quoted(answer.text))]))
                try events.send("done", answer.doneJSON(timings: timingsJSON))
            }
        } else {
            response = Response.json(answer.bodyJSON(timings: timingsJSON))
        }
        response.headers.add("X-Cache", cacheHeader)
        return response
    }

    /// Streams a fresh answer: `sources` at once, `delta` as the model writes, `done` with
    /// citations, usage and timings; `error` (a problem object) when generation fails.
    /// A client that leaves stops the LLM request within about a second (the LLM client
    /// polls `keepAlive`, which also sends the heartbeat).
    static func streamed(_ question: Question, _ retrieval: Retrieval, backends: ThreadBackends, cache: CachedAnswers,
                         context: APIContext, request: Request) -> Response {
        let (requestID, method, route) = (request.requestID, request.method, request.route)
        var response = Response.stream(contentType: "text/event-stream") { output in
            let events = EventStreamWriter(output, heartbeatInterval: context.settings.sseHeartbeat)
            let sources = RenderedAnswer.sourcesJSON(retrieval.passages)
            try events.send("sources", JSONText.object([("sources", sources)]))
            var timings = retrieval.timings
            let generation: Generation
            do throws(LLMError) {
                generation = try backends.answerer.generate(
                    question, passages: retrieval.passages, timings: &timings,
                    onDelta: { text in
                        (try? events.send("delta", JSONText.object([("text", JSONText.quoted(text))]))) != nil
                    },
                    shouldContinue: { events.keepAlive() })
            } catch where error.code == .aborted {
                return // the client went away; nobody to tell
            } catch {
                let problem = LLMProblems.problem(error)
                ServerFaultLog.record(problem, requestID: requestID, method: method, route: route)
                try events.send("error", JSONText.object([
                    ("type", JSONText.quoted(problem.type)), ("title", JSONText.quoted(problem.title)),
                    ("status", String(problem.status)), ("detail", JSONText.quoted(problem.detail ?? "")),
                ] + problem.extensions))
                return
            }
            let answer = RenderedAnswer(generation: generation, mode: backends.answerer.mode,
                                        passages: retrieval.passages, reranked: retrieval.reranked)
            try events.send("done", answer.doneJSON(timings: answerTimingsJSON(timings)))
            cache.store(answer)
        }
        response.headers.add("X-Cache", cache.missHeader)
        return response
    }

    /// `{embed, retrieve, rerank, generate}` in milliseconds, each present (0 when skipped).
    static func answerTimingsJSON(_ timings: StageTimings) -> String {
        timings.json(stages: StageTimings.answerStages)
    }
}
