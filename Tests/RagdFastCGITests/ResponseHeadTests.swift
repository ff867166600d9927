@testable import RagdFastCGI
import RagdHTTP
import Testing

/// The head `FastCGIServer` writes before a body, against the text it is meant to be.
@Suite("FastCGI response head")
struct ResponseHeadTests {
    /// The head as the transport wrote it before it was written in place.
    static func expected(_ response: Response, contentLength: Int?, body: [UInt8]?) -> [UInt8] {
        var text = "Status: \(response.status) \(HTTPStatus.reason(response.status))\r\n"
        for field in response.headers { text += "\(field.name): \(field.value)\r\n" }
        if let contentLength { text += "Content-Length: \(contentLength)\r\n" }
        return Array((text + "\r\n").utf8) + (body ?? [])
    }

    static let responses: [Response] = {
        var many = Response.json(bytes: Array(#"{"a":"é"}"#.utf8), status: 201)
        many.headers.add("X-Request-ID", "0123456789abcdef0123456789abcdef")
        many.headers.add("Set-Cookie", "a=1")
        many.headers.add("Set-Cookie", "b=2")
        many.headers.add("X-Ünïcode", "välue 🚀 with a long value past the small-string size")
        many.headers.add("X-Empty", "")
        return [Response.json(#"{"status":"healthy"}"#), many, Response(status: 204), Response(status: 599),
                Response(status: -1), Response(status: 1_000_000), Response.text("", status: 404)]
    }()

    @Test func headIsTheTextItStandsFor() {
        for response in Self.responses {
            let body: [UInt8]
            if case .bytes(let bytes) = response.body { body = bytes } else { body = [] }
            #expect(FastCGIServer.head(response, contentLength: body.count, body: body)
                    == Self.expected(response, contentLength: body.count, body: body))
            // HEAD: the length of the body not sent.
            #expect(FastCGIServer.head(response, contentLength: body.count, body: nil)
                    == Self.expected(response, contentLength: body.count, body: nil))
            // A streamed body: no length.
            #expect(FastCGIServer.head(response, contentLength: nil, body: nil)
                    == Self.expected(response, contentLength: nil, body: nil))
        }
    }

    @Test(arguments: [0, 7, 9, 10, 99, 100, 12_345, Int.max, -1, -10, Int.min])
    func decimalCountIsStringsLength(value: Int) {
        #expect(ByteWriter.decimalCount(value) == String(value).utf8.count)
    }
}
