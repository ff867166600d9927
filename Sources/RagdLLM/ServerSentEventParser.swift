/// One server-sent event.
public struct ServerSentEvent: Sendable, Equatable {
    /// The `event:` field; nil when the event had none (the default type, "message").
    public var event: String?
    /// The `data:` lines joined with "\n".
    public var data: String
    /// The last `id:` field seen so far in the stream, if any.
    public var id: String?

    /// Creates an event.
    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// An incremental `text/event-stream` parser (the WHATWG event-stream rules) for bytes
/// that arrive in arbitrary pieces.
///
/// It works on bytes and decodes a line as UTF-8 only once the line is complete, so a
/// piece may end anywhere: inside a line, between CR and LF, or inside a multi-byte
/// character. Lines end with LF, CRLF or a lone CR. Comment lines (": keep-alive", which
/// DeepSeek sends while the model thinks) and fields other than `data`, `event` and `id`
/// (`retry`, unknown names) are ignored. Several `data:` lines of one event are joined
/// with "\n". A blank line dispatches the event; an event without data is dropped, and so
/// is an unfinished event at the end of the stream, as the standard says.
public struct ServerSentEventParser: Sendable {
    /// Largest line or event data accepted; beyond it `feed` throws `.invalidResponse`
    /// (a broken or hostile server must not make us buffer without bound).
    public let maxEventBytes: Int
    /// Comment lines seen so far.
    public private(set) var commentCount = 0

    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var eventType: String?
    private var lastEventID: String?
    /// The previous piece ended with CR: an LF starting the next piece belongs to it.
    private var afterCR = false

    /// Creates a parser. `maxEventBytes` default: 4 MiB.
    public init(maxEventBytes: Int = 4 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    /// Parses the next piece of the stream and returns the events it completed.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) throws(LLMError) -> [ServerSentEvent] where Bytes.Element == UInt8 {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            switch byte {
            case 10: // LF
                if afterCR {
                    afterCR = false
                    continue
                }
                if let event = endLine() { events.append(event) }
            case 13: // CR
                afterCR = true
                if let event = endLine() { events.append(event) }
            default:
                afterCR = false
                line.append(byte)
                if line.count > maxEventBytes {
                    throw LLMError(.invalidResponse, "event stream line longer than \(maxEventBytes) bytes")
                }
            }
        }
        if data.count > maxEventBytes {
            throw LLMError(.invalidResponse, "event stream event larger than \(maxEventBytes) bytes")
        }
        return events
    }

    /// True when an event or line was started but not finished (the stream was cut).
    public var hasPartialEvent: Bool { !line.isEmpty || hasData }

    /// Handles one complete line; returns an event when the line was blank.
    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty { return dispatch() }
        if line[0] == UInt8(ascii: ":") {
            commentCount += 1
            return nil
        }
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        let name = line[..<(colon ?? line.endIndex)]
        var value = colon.map { line[line.index(after: $0)...] } ?? []
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        if name.elementsEqual("data".utf8) {
            if hasData { data.append(10) }
            data.append(contentsOf: value)
            hasData = true
        } else if name.elementsEqual("event".utf8) {
            eventType = String(decoding: value, as: UTF8.self)
        } else if name.elementsEqual("id".utf8) {
            // An id containing NUL is ignored, as the standard says.
            if !value.contains(0) { lastEventID = String(decoding: value, as: UTF8.self) }
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            eventType = nil
        }
        guard hasData else { return nil }
        let type = (eventType?.isEmpty ?? true) ? nil : eventType
        return ServerSentEvent(event: type, data: String(decoding: data, as: UTF8.self), id: lastEventID)
    }
}
