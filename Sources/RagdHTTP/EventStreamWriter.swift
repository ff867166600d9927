import RagdCore

/// Writes server-sent events (`text/event-stream`) to a response stream: named events
/// with one-line data, flushed one by one, and a comment line as a heartbeat when nothing
/// was sent for `heartbeatInterval`, so proxies and load balancers keep an idle stream open.
public final class EventStreamWriter {
    private let stream: ResponseStream
    private let heartbeatNanoseconds: UInt64
    private var lastWrite = Clock.monotonicNanoseconds()

    public init(_ stream: ResponseStream, heartbeatInterval: Duration) {
        self.stream = stream
        heartbeatNanoseconds = UInt64(max(heartbeatInterval.inSeconds, 0.001) * 1e9)
    }

    /// Sends `event: <name>` with `data` (one line, e.g. compact JSON) and flushes it.
    /// Throws `ResponseStreamError.clientGone` when the client went away.
    public func send(_ name: String, _ data: String) throws {
        precondition(!data.contains("\n") && !name.contains("\n"), "SSE data must be one line")
        try stream.write("event: \(name)\ndata: \(data)\n\n")
        try stream.flush()
        lastWrite = Clock.monotonicNanoseconds()
    }

    /// Sends an unnamed event: `data: <data>` only, as OpenAI's streams are written
    /// (clients of that API read no `event:` lines). Flushed like `send`.
    public func sendData(_ data: String) throws {
        precondition(!data.contains("\n"), "SSE data must be one line")
        try stream.write("data: \(data)\n\n")
        try stream.flush()
        lastWrite = Clock.monotonicNanoseconds()
    }

    /// For a producer that waits (on an LLM): false when the client has gone; sends the
    /// heartbeat comment when it is due.
    public func keepAlive() -> Bool {
        guard stream.isClientConnected else { return false }
        guard Clock.elapsed(from: lastWrite, to: Clock.monotonicNanoseconds()) >= heartbeatNanoseconds else { return true }
        do {
            try stream.write(": keep-alive\n\n")
            try stream.flush()
            lastWrite = Clock.monotonicNanoseconds()
            return true
        } catch {
            return false
        }
    }
}
