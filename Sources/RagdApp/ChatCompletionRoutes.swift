import Foundation
import RagdAnswer
import RagdAuth
import RagdCore
import RagdHTTP
import RagdLLM
import RagdPipeline

/// OpenAI's chat API over the knowledge base, so that OpenAI clients (the `openai` SDKs,
/// LangChain, chat UIs) use ragd unchanged, with the JWT as their API key:
///
/// * `POST /v1/chat/completions`: the last user message is the question, earlier
///   user/assistant turns are the history, system (or developer) messages are the caller's
///   extra instructions, placed after ragd's own in the prompt. It answers like `/v1/query`
///   (same retrieval, cache, rate limit, metrics, disconnect abort), as a `chat.completion`
///   or a stream of `chat.completion.chunk`s ending with `data: [DONE]`.
/// * `GET /v1/models`, `GET /v1/models/{model}`: the one model, `ragd`.
///
/// Extensions (extra fields, which OpenAI clients keep): `citations` on the answer's
/// message and on the last stream chunk, `sources` (every passage given to the model) on
/// the response and on the first chunk; in the request, `ragd: {top_k, filter}`.
/// Errors use OpenAI's shape (`OpenAIErrorStyle`).
enum ChatCompletionRoutes {
    static let model = "ragd"
    /// When the model id was introduced: `created` of the model object, a fixed time.
    static let modelCreated = 1_796_169_600
    static let maxInstructionsLength = 8000

    /// The routes whose errors take OpenAI's shape.
    static let templates: Set<String> = ["/v1/chat/completions", "/v1/models", "/v1/models/{model}"]

    static func register(on router: inout Router, context: APIContext) {
        router.add("GET", "/v1/models", guardedBy: context.guardian, anyOf: [AuthScope.query]) { _, _ in
            Response.json(JSONText.object([("object", JSONText.quoted("list")), ("data", "[" + modelJSON() + "]")]))
        }
        router.add("GET", "/v1/models/{model}", guardedBy: context.guardian, anyOf: [AuthScope.query]) { request, _ in
            try requireKnownModel(request.pathParameters["model"] ?? "", field: "model")
            return Response.json(modelJSON())
        }
        router.add("POST", "/v1/chat/completions", guardedBy: context.guardian, anyOf: [AuthScope.query]) { request, principal in
            let body = try JSONBody(request)
            let options = try parseOptions(body, maxTokensLimit: context.settings.llmMaxTokens)
            let conversation = try parseMessages(body)
            let filter = try options.extensions.flatMap(SearchFilter.parse)
            let backends = try context.threadBackends()
            let documentIDs = try filter?.documentIDs(tenant: principal.tenant, store: backends.store)
            let question = Question(tenant: principal.tenant, text: conversation.question, topK: options.topK,
                                    documentIDs: documentIDs, history: conversation.history,
                                    temperature: options.temperature, maxTokens: options.maxTokens,
                                    instructions: conversation.instructions, topP: options.topP, stop: options.stop,
                                    seed: options.seed)
            let reply = Reply(id: "chatcmpl-" + request.requestID, created: Int(Clock.wallSeconds()),
                              includeUsage: options.includeUsage)

            let cache = CachedAnswers(context: context, backends: backends, question: question)
            if let hit = cache.lookup() {
                return withCacheHeader(options.stream ? replayed(hit, reply) : Response.json(reply.completionJSON(hit)), "hit")
            }
            let retrieval = try backends.answerer.retrieve(question)
            if options.stream {
                return withCacheHeader(streamed(question, retrieval, reply, backends: backends, cache: cache, context: context,
                                                request: request), cache.missHeader)
            }
            let (answer, _) = try cache.generate(question, retrieval, answerer: backends.answerer)
            return withCacheHeader(Response.json(reply.completionJSON(answer)), cache.missHeader)
        }
    }

    static func modelJSON() -> String {
        JSONText.object([("id", JSONText.quoted(model)), ("object", JSONText.quoted("model")),
                         ("created", String(modelCreated)), ("owned_by", JSONText.quoted("ragd"))])
    }

    /// 404 for a model other than `ragd`, as OpenAI answers (`model_not_found`).
    static func requireKnownModel(_ name: String, field: String) throws {
        guard name == model else {
            throw Problem(status: 404, code: "model-not-found", title: "Not Found",
                          detail: "The model \(JSONText.quoted(String(name.prefix(100)))) does not exist; this server offers \"\(model)\".",
                          errors: [(field: field, message: "is not a known model")])
        }
    }

    // MARK: request

    struct Options {
        var stream: Bool
        var includeUsage: Bool
        var temperature: Double?
        var topP: Double?
        var maxTokens: Int
        var stop: [String]
        var seed: Int?
        var topK: Int
        /// The `ragd` extension object, when given (its `filter` is read with the backends).
        var extensions: JSONBody?
    }

    /// The request's options. Fields OpenAI defines that ragd cannot honour (several
    /// choices, tools, log probabilities, a JSON answer format) are refused with a 422
    /// naming them; other unknown fields are ignored, as OpenAI does.
    static func parseOptions(_ body: JSONBody, maxTokensLimit: Int) throws -> Options {
        try requireKnownModel(try body.string("model", maxLength: 256) ?? model, field: "model")
        if let n = try body.int("n"), n != 1 {
            throw body.invalid("n", "must be 1: ragd writes one answer per request")
        }
        for field in ["tools", "functions"] {
            if let tools = try body.array(field), !tools.isEmpty {
                throw body.invalid(field, "is not supported: ragd answers from documents and calls no tools")
            }
        }
        if let choice = body.object["tool_choice"], !(choice is NSNull), (choice as? String) != "none" {
            throw body.invalid("tool_choice", "is not supported: ragd calls no tools")
        }
        if try body.bool("logprobs") == true {
            throw body.invalid("logprobs", "is not supported")
        }
        if let format = try body.object("response_format"), (format["type"] as? String) != "text" {
            throw body.invalid("response_format", "only {\"type\": \"text\"} is supported")
        }
        _ = try body.string("user", maxLength: 256) // accepted and not used: the token says who calls
        let stream = try body.bool("stream") ?? false
        var includeUsage = false
        if let streamOptions = try body.object("stream_options") {
            includeUsage = try JSONBody(object: streamOptions, fieldPrefix: "stream_options.").bool("include_usage") ?? false
        }
        let maxTokens = try body.int("max_completion_tokens", range: 1...maxTokensLimit)
            ?? body.int("max_tokens", range: 1...maxTokensLimit) ?? maxTokensLimit
        var extensions: JSONBody?
        var topK = 5
        if let object = try body.object("ragd") {
            let ragd = JSONBody(object: object, fieldPrefix: "ragd.")
            try ragd.allowOnly(["top_k", "filter"])
            topK = try ragd.int("top_k", range: 1...20) ?? topK
            extensions = ragd
        }
        return Options(stream: stream, includeUsage: includeUsage,
                       temperature: try body.double("temperature", range: 0...2),
                       topP: try body.double("top_p", range: 0...1), maxTokens: maxTokens,
                       stop: try parseStop(body), seed: try body.int("seed"), topK: topK, extensions: extensions)
    }

    /// `stop`: a string or up to 4 non-empty strings.
    static func parseStop(_ body: JSONBody) throws -> [String] {
        guard let raw = body.object["stop"], !(raw is NSNull) else { return [] }
        let list: [Any] = (raw as? String).map { [$0] } ?? (raw as? [Any]) ?? [0]
        guard list.count <= 4, let strings = list as? [String], strings.allSatisfy({ !$0.isEmpty && $0.count <= 256 }),
              !strings.contains(where: { $0.utf8.contains(0) }) else {
            throw body.invalid("stop", "must be a string or an array of at most 4 non-empty strings")
        }
        return strings
    }

    struct Conversation {
        var question: String
        var history: [ChatMessage]
        var instructions: String?
    }

    /// `messages`: system/developer messages become instructions; the last message must
    /// be the user's question; the user/assistant turns before it are the history.
    static func parseMessages(_ body: JSONBody) throws -> Conversation {
        guard let list = try body.array("messages", required: true), !list.isEmpty else {
            throw body.invalid("messages", "must be a non-empty array")
        }
        guard list.count <= 64 else { throw body.invalid("messages", "must have at most 64 messages") }
        var instructions: [String] = []
        var turns: [ChatMessage] = []
        for (index, item) in list.enumerated() {
            let field = "messages[\(index)]"
            guard let message = item as? [String: Any] else { throw body.invalid(field, "must be an object {role, content}") }
            guard let role = message["role"] as? String else { throw body.invalid("\(field).role", "is required") }
            let content = try messageText(message["content"], field: "\(field).content", body: body)
            switch role {
            case "system", "developer":
                instructions.append(content)
            case "user", "assistant":
                guard !content.isEmpty else { throw body.invalid("\(field).content", "must not be empty") }
                guard content.count <= QuestionLimits.maxHistoryContent else {
                    throw body.invalid("\(field).content", "must be at most \(QuestionLimits.maxHistoryContent) characters")
                }
                turns.append(ChatMessage(role: role, content: content))
            default:
                throw body.invalid("\(field).role", "must be system, developer, user or assistant (ragd calls no tools)")
            }
        }
        guard let last = turns.last, last.role == "user" else {
            throw body.invalid("messages", "must end with a user message: the question")
        }
        guard last.content.count <= QuestionLimits.maxQuestionLength, !last.content.allSatisfy(\.isWhitespace) else {
            throw body.invalid("messages[\(list.count - 1)].content",
                               "the question must be a non-blank text of at most \(QuestionLimits.maxQuestionLength) characters")
        }
        let history = Array(turns.dropLast())
        guard history.count <= QuestionLimits.maxHistoryTurns else {
            throw body.invalid("messages", "must have at most \(QuestionLimits.maxHistoryTurns) turns before the question")
        }
        let joined = instructions.filter { !$0.isEmpty }.joined(separator: "\n\n")
        guard joined.count <= maxInstructionsLength else {
            throw body.invalid("messages", "system messages must total at most \(maxInstructionsLength) characters")
        }
        return Conversation(question: last.content, history: history, instructions: joined.isEmpty ? nil : joined)
    }

    /// A message's text: a string, or an array of `{type: "text", text}` parts (joined).
    static func messageText(_ raw: Any?, field: String, body: JSONBody) throws -> String {
        let text: String
        if let string = raw as? String {
            text = string
        } else if let parts = raw as? [Any] {
            text = try parts.enumerated().map { index, part in
                guard let part = part as? [String: Any], part["type"] as? String == "text",
                      let value = part["text"] as? String else {
                    throw body.invalid("\(field)[\(index)]", "must be a text part {type: \"text\", text}; ragd reads text only")
                }
                return value
            }.joined(separator: "\n")
        } else {
            throw body.invalid(field, "must be a string or an array of text parts")
        }
        if text.utf8.contains(0) { throw body.invalid(field, JSONBody.nulMessage) }
        return text
    }

    // MARK: response

    /// The parts every response and chunk of one request share.
    struct Reply {
        var id: String
        var created: Int
        var includeUsage: Bool

        private func envelope(_ object: String, _ rest: [(String, String)]) -> String {
            JSONText.object([("id", JSONText.quoted(id)), ("object", JSONText.quoted(object)),
                             ("created", String(created)), ("model", JSONText.quoted(model))] + rest)
        }

        static func usageJSON(_ answer: RenderedAnswer) -> String {
            JSONText.object([("prompt_tokens", String(answer.promptTokens)),
                             ("completion_tokens", String(answer.completionTokens)),
                             ("total_tokens", String(answer.promptTokens + answer.completionTokens))])
        }

        func completionJSON(_ answer: RenderedAnswer) -> String {
            let message = JSONText.object([("role", JSONText.quoted("assistant")), ("content", JSONText.quoted(answer.text)),
                                           ("citations", answer.citationsJSON)])
            let choice = JSONText.object([("index", "0"), ("message", message), ("logprobs", "null"),
                                          ("finish_reason", JSONText.quoted(answer.finishReason))])
            return envelope("chat.completion", [("choices", "[" + choice + "]"), ("usage", Self.usageJSON(answer)),
                                                ("sources", answer.sourcesJSON)])
        }

        private func chunk(delta: String, finishReason: String?, _ rest: [(String, String)] = []) -> String {
            let choice = JSONText.object([("index", "0"), ("delta", delta), ("logprobs", "null"),
                                          ("finish_reason", finishReason.map(JSONText.quoted) ?? "null")])
            return envelope("chat.completion.chunk", [("choices", "[" + choice + "]")] + rest)
        }

        /// The first chunk: the role, and every passage given to the model.
        func firstChunk(sourcesJSON: String) -> String {
            chunk(delta: JSONText.object([("role", JSONText.quoted("assistant")), ("content", "\"\"")]),
                  finishReason: nil, [("sources", sourcesJSON)])
        }

        func textChunk(_ text: String) -> String {
            chunk(delta: JSONText.object([("content", JSONText.quoted(text))]), finishReason: nil)
        }

        /// The last chunk with a choice: why the answer ended, and what it cites.
        func finalChunk(_ answer: RenderedAnswer) -> String {
            chunk(delta: "{}", finishReason: answer.finishReason, [("citations", answer.citationsJSON)])
        }

        /// After the last choice, when `stream_options.include_usage` asked for it.
        func usageChunk(_ answer: RenderedAnswer) -> String {
            envelope("chat.completion.chunk", [("choices", "[]"), ("usage", Self.usageJSON(answer))])
        }

        func finish(_ answer: RenderedAnswer, on events: EventStreamWriter) throws {
            try events.sendData(finalChunk(answer))
            if includeUsage { try events.sendData(usageChunk(answer)) }
            try events.sendData("[DONE]")
        }
    }

    static func withCacheHeader(_ response: Response, _ value: String) -> Response {
        var response = response
        response.headers.add("X-Cache", value)
        return response
    }

    /// A cached answer asked for as a stream: the same chunks, the text in one piece.
    static func replayed(_ answer: RenderedAnswer, _ reply: Reply) -> Response {
        Response.stream(contentType: "text/event-stream") { output in
            let events = EventStreamWriter(output, heartbeatInterval: .seconds(15))
            try events.sendData(reply.firstChunk(sourcesJSON: answer.sourcesJSON))
            try events.sendData(reply.textChunk(answer.text))
            try reply.finish(answer, on: events)
        }
    }

    /// Streams a fresh answer; a generation failure after the first chunk is sent as a
    /// `data: {"error": ...}` event (OpenAI's way; its SDK raises it) and the stream ends.
    static func streamed(_ question: Question, _ retrieval: Retrieval, _ reply: Reply, backends: ThreadBackends,
                         cache: CachedAnswers, context: APIContext, request: Request) -> Response {
        let (requestID, method, route) = (request.requestID, request.method, request.route)
        return Response.stream(contentType: "text/event-stream") { output in
            let events = EventStreamWriter(output, heartbeatInterval: context.settings.sseHeartbeat)
            try events.sendData(reply.firstChunk(sourcesJSON: RenderedAnswer.sourcesJSON(retrieval.passages)))
            var timings = retrieval.timings
            let generation: Generation
            do throws(LLMError) {
                generation = try backends.answerer.generate(
                    question, passages: retrieval.passages, timings: &timings,
                    onDelta: { text in (try? events.sendData(reply.textChunk(text))) != nil },
                    shouldContinue: { events.keepAlive() })
            } catch where error.code == .aborted {
                return // the client went away
            } catch {
                let problem = LLMProblems.problem(error)
                ServerFaultLog.record(problem, requestID: requestID, method: method, route: route)
                try events.sendData(OpenAIErrorStyle.errorJSON(problem, requestID: requestID))
                return
            }
            let answer = RenderedAnswer(generation: generation, mode: backends.answerer.mode,
                                        passages: retrieval.passages, reranked: retrieval.reranked)
            try reply.finish(answer, on: events)
            cache.store(answer)
        }
    }
}
