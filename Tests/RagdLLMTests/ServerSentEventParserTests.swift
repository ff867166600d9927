import Testing
@testable import RagdLLM

@Suite struct ServerSentEventParserTests {
    /// A stream with every feature: CRLF and LF and lone CR endings, comments, multi-line
    /// data, event and id fields, an unknown field, a data-less event, multi-byte UTF-8.
    static let stream = Array((
        ": keep-alive\r\n\r\n"
            + "data: {\"a\":\"héllo wörld\"}\r\n\r\n"
            + "event: update\nid: 7\ndata: line one\ndata:line two\nretry: 10\nfoo: bar\n\n"
            + "data: 你好，世界 🙂\r\r"
            + "event: multi\r\ndata: first\r\ndata: second\r\n\r\n"
            + "event: lonely\n\n"
            + "data\n\n"
            + ":another comment\n"
            + "data: [DONE]\n\n"
    ).utf8)

    static let expected = [
        ServerSentEvent(data: "{\"a\":\"héllo wörld\"}"),
        ServerSentEvent(event: "update", data: "line one\nline two", id: "7"),
        ServerSentEvent(data: "你好，世界 🙂", id: "7"),
        ServerSentEvent(event: "multi", data: "first\nsecond", id: "7"),
        ServerSentEvent(data: "", id: "7"),
        ServerSentEvent(data: "[DONE]", id: "7"),
    ]

    private func parse(_ pieces: [ArraySlice<UInt8>]) throws -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for piece in pieces { events += try parser.feed(piece) }
        #expect(!parser.hasPartialEvent)
        return events
    }

    @Test func parsesAWholeStream() throws {
        var parser = ServerSentEventParser()
        #expect(try parser.feed(Self.stream) == Self.expected)
        #expect(parser.commentCount == 2)
    }

    @Test func anySplitIntoTwoPiecesGivesTheSameEvents() throws {
        let bytes = Self.stream
        for cut in 0...bytes.count {
            let events = try parse([bytes[..<cut], bytes[cut...]])
            #expect(events == Self.expected, "split at byte \(cut)")
        }
    }

    @Test func anySplitIntoThreePiecesGivesTheSameEvents() throws {
        // Every pair of cut positions in the first 60 bytes (CRLF, a comment and the
        // multi-byte characters of the first event), then every byte on its own.
        let bytes = Self.stream
        for first in 0...60 {
            for second in first...60 {
                let events = try parse([bytes[..<first], bytes[first..<second], bytes[second...]])
                #expect(events == Self.expected, "split at \(first) and \(second)")
            }
        }
        #expect(try parse(bytes.indices.map { bytes[$0...$0] }) == Self.expected)
    }

    @Test func crlfSplitBetweenCRAndLFIsOneLineEnd() throws {
        var parser = ServerSentEventParser()
        #expect(try parser.feed(Array("data: x\r".utf8)).isEmpty)
        #expect(try parser.feed(Array("\n\r".utf8)) == [ServerSentEvent(data: "x")])
        #expect(try parser.feed(Array("\ndata: y\n\n".utf8)) == [ServerSentEvent(data: "y")])
    }

    @Test func anUnfinishedEventIsNotDispatched() throws {
        var parser = ServerSentEventParser()
        #expect(try parser.feed(Array("data: complete\n\ndata: cut short\n".utf8)) == [ServerSentEvent(data: "complete")])
        #expect(parser.hasPartialEvent)
    }

    @Test func aSplitMultiByteCharacterIsReassembled() throws {
        let bytes = Array("data: é🙂\n\n".utf8)
        for cut in 6..<(bytes.count - 2) {
            var parser = ServerSentEventParser()
            let first = try parser.feed(bytes[..<cut])
            let second = try parser.feed(bytes[cut...])
            #expect(first.isEmpty)
            #expect(second == [ServerSentEvent(data: "é🙂")], "split at \(cut)")
        }
    }

    @Test func oversizedLinesAndEventsAreRefused() {
        var parser = ServerSentEventParser(maxEventBytes: 32)
        let long = Array(("data: " + String(repeating: "x", count: 40)).utf8)
        #expect(llmFailure { _ = try parser.feed(long) }?.code == .invalidResponse)

        var joined = ServerSentEventParser(maxEventBytes: 32)
        let many = Array(String(repeating: "data: 0123456789\n", count: 4).utf8)
        #expect(llmFailure { _ = try joined.feed(many) }?.code == .invalidResponse)
    }
}
