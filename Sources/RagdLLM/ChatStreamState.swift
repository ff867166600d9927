import RagdProvider

/// What one streamed attempt has received so far: the SSE parser, the text delivered,
/// usage, finish reason and whether `[DONE]` came. Fed from libcurl's write callback.
struct ChatStreamState {
    private let endpoint: ProviderEndpoint
    private let status: Int
    private var parser = ServerSentEventParser()

    /// Every delta handed to the caller, concatenated.
    private(set) var text = ""
    private(set) var usage: ChatUsage?
    private(set) var finishReason: String?
    /// `data: [DONE]` arrived.
    private(set) var sawDone = false
    /// At least one non-empty delta reached `onDelta`; from then on nothing is retried.
    private(set) var deliveredAny = false
    /// `onDelta` returned false.
    private(set) var callerStopped = false
    /// Why `consume` said stop, when it was not the caller.
    private(set) var failure: AttemptFailure?

    init(endpoint: ProviderEndpoint, status: Int) {
        self.endpoint = endpoint
        self.status = status
    }

    /// A stream is complete with `[DONE]` or a finish reason (some servers end the body
    /// after the finish chunk without `[DONE]`).
    var isComplete: Bool { sawDone || finishReason != nil }

    /// Parses a piece of the body and delivers its deltas; false stops the transfer.
    mutating func consume(_ bytes: UnsafeRawBufferPointer, onDelta: (String) -> Bool) -> Bool {
        let events: [ServerSentEvent]
        do {
            events = try parser.feed(bytes)
        } catch {
            failure = AttemptFailure(LLMError(.invalidResponse, "\(endpoint.name): \(error.message)", status: status,
                                              afterFirstToken: deliveredAny), retryable: false)
            return false
        }
        for event in events where !sawDone {
            if event.data == "[DONE]" {
                sawDone = true
                continue
            }
            guard let body = ChatWire.decode(event.data.utf8) else {
                if event.event == "error" {
                    failure = endpoint.inBandFailure(ProviderErrorObject(message: event.data), afterFirstToken: deliveredAny,
                                                     status: status)
                } else {
                    failure = AttemptFailure(LLMError(.invalidResponse, "\(endpoint.name) sent a stream event that is not JSON",
                                                      status: status, afterFirstToken: deliveredAny), retryable: false)
                }
                return false
            }
            if let error = body.error {
                failure = endpoint.inBandFailure(error, afterFirstToken: deliveredAny, status: status)
                return false
            }
            if let usage = body.usage?.value { self.usage = usage }
            // Only choice 0 is asked for (n is never sent); ignore any other.
            guard let choice = body.choices?.first(where: { ($0.index ?? 0) == 0 }) else { continue }
            if let content = choice.delta?.content ?? choice.message?.content, !content.isEmpty {
                text += content
                deliveredAny = true
                if !onDelta(content) {
                    callerStopped = true
                    return false
                }
            }
            if let reason = choice.finish_reason { finishReason = reason }
        }
        return true
    }
}
