import RagdHTTP
import Testing

@Suite("Response and headers")
struct ResponseTests {
    @Test func streamSetsHeadersNginxNeeds() throws {
        let response = Response.stream(contentType: "text/event-stream") { stream in
            try stream.write("data: one\n\n")
            try stream.flush()
            try stream.write(Array("data: two\n\n".utf8))
        }
        #expect(response.status == 200)
        #expect(response.headerValues("Content-Type") == ["text/event-stream"])
        #expect(response.headerValues("Cache-Control") == ["no-cache"])
        #expect(response.headerValues("X-Accel-Buffering") == ["no"])

        guard case .stream(let produce) = response.body else {
            Issue.record("expected a streamed body")
            return
        }
        let sink = CollectingStream()
        try produce(sink)
        #expect(sink.text == "data: one\n\ndata: two\n\n")
        #expect(sink.flushes == 1)
    }

    @Test func streamKeepsGivenStatus() {
        #expect(Response.stream(status: 202, contentType: "application/x-ndjson") { _ in }.status == 202)
    }

    @Test func jsonAndTextSetContentTypeAndBody() {
        let json = Response.json("{\"ok\":true}", status: 201)
        #expect(json.status == 201)
        #expect(json.headers["content-type"] == "application/json")
        #expect(json.bodyText == "{\"ok\":true}")

        let text = Response.text("héllo")
        #expect(text.status == 200)
        #expect(text.headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(text.bodyBytes == Array("héllo".utf8))
    }

    @Test func headersLookUpCaseInsensitivelyAndKeepOrder() {
        var headers = HTTPHeaders([("Set-Cookie", "a=1"), ("X-One", "1")])
        headers.add("set-cookie", "b=2")
        #expect(headers["SET-COOKIE"] == "a=1")
        #expect(headers.count == 3)
        #expect(headers.map(\.name) == ["Set-Cookie", "X-One", "set-cookie"])

        headers.set("SET-cookie", "c=3")
        #expect(headers.filter { $0.name.lowercased() == "set-cookie" }.map(\.value) == ["c=3"])
        #expect(headers.count == 2)

        headers.remove("x-one")
        #expect(!headers.contains("X-One"))
        #expect(headers.contains("Set-Cookie"))
        #expect(headers["missing"] == nil)
    }

    @Test(arguments: [(200, "OK"), (404, "Not Found"), (413, "Content Too Large"), (429, "Too Many Requests"),
                      (503, "Service Unavailable"), (599, "Status 599")])
    func reasonPhrases(status: Int, reason: String) {
        #expect(HTTPStatus.reason(status) == reason)
    }

    @Test func headerLookupIsCaseInsensitiveAsLowercasedIs() {
        // ASCII names of every length around the 8-byte words, and non-ASCII names whose
        // lower-case forms match across different byte lengths (KELVIN SIGN is "k").
        let names = ["k", "K", "\u{212A}", "x-\u{212A}ey", "X-KEY", "x-key", "Origin", "ORIGIN", "origin-x",
                     "Access-Control-Request-Method", "access-control-request-method", "é", "É", "a-very-long-header-naméx"]
        for stored in names {
            var headers = HTTPHeaders()
            headers.add(stored, "v")
            for asked in names {
                #expect((headers[asked] != nil) == (stored.lowercased() == asked.lowercased()), "\(stored) / \(asked)")
            }
            // The same with ASCII fields around it, added, given at once, then removed.
            for ascii in [true, false] {
                var mixed = ascii ? HTTPHeaders([("Host", "h"), (stored, "v")]) : HTTPHeaders()
                if !ascii { mixed.add("Host", "h"); mixed.add(stored, "v") }
                for asked in names {
                    var removed = mixed
                    removed.remove(asked)
                    let same = stored.lowercased() == asked.lowercased()
                    #expect((mixed[asked] == "v") == same, "\(stored) / \(asked)")
                    #expect(removed.count == (same ? 1 : 2), "\(stored) / \(asked)")
                    #expect(removed["host"] == "h")
                }
            }
        }
    }

    @Test func jsonFromBytesIsJSONFromText() {
        let text = Response.json(#"{"a":1}"#, status: 201), bytes = Response.json(bytes: Array(#"{"a":1}"#.utf8), status: 201)
        #expect(bytes.status == text.status)
        #expect(bytes.headers.map(\.name) == text.headers.map(\.name))
        #expect(bytes.headers.map(\.value) == text.headers.map(\.value))
        #expect(bytes.bodyBytes == text.bodyBytes)
    }
}
