import Testing
@testable import RagdText

/// Builds a multipart body the way clients do, CRLF throughout.
func multipartBody(boundary: String, parts: [(headers: [String], body: [UInt8])],
                   preamble: String = "", epilogue: String = "", lineEnd: String = "\r\n") -> [UInt8] {
    var bytes = Array(preamble.utf8)
    for part in parts {
        bytes += Array("--\(boundary)\(lineEnd)".utf8)
        for header in part.headers { bytes += Array("\(header)\(lineEnd)".utf8) }
        bytes += Array(lineEnd.utf8)
        bytes += part.body
        bytes += Array(lineEnd.utf8)
    }
    bytes += Array("--\(boundary)--\(lineEnd)\(epilogue)".utf8)
    return bytes
}

@Suite struct MultipartFormDataTests {
    @Test func boundaryComesFromTheContentType() throws {
        #expect(try MultipartFormData.boundary(fromContentType: "multipart/form-data; boundary=abc123") == "abc123")
        #expect(try MultipartFormData.boundary(fromContentType: "Multipart/Form-Data;boundary=\"a b:c\"; charset=utf-8") == "a b:c")
        let cases: [(String, TextError.Code)] = [
            ("multipart/form-data", .malformedMultipart),
            ("multipart/form-data; boundary=\"\"", .malformedMultipart),
            ("multipart/form-data; boundary=" + String(repeating: "x", count: 71), .malformedMultipart),
            ("multipart/mixed; boundary=abc", .unsupportedMediaType),
            ("text/plain", .unsupportedMediaType),
            ("not a media type", .malformedMultipart),
        ]
        for (header, code) in cases {
            #expect { try MultipartFormData.boundary(fromContentType: header) } throws: { ($0 as? TextError)?.code == code }
        }
    }

    @Test func parsesOneFile() throws {
        let body = multipartBody(boundary: "XyZ", parts: [(
            ["Content-Disposition: form-data; name=\"file\"; filename=\"notes.md\"", "Content-Type: text/markdown"],
            Array("# Notes\r\n\r\nLine two.".utf8)
        )])
        let parts = try MultipartFormData.parse(body, contentType: "multipart/form-data; boundary=XyZ")
        #expect(parts.count == 1)
        #expect(parts[0].name == "file")
        #expect(parts[0].filename == "notes.md")
        #expect(parts[0].contentType == "text/markdown")
        #expect(parts[0].body == Array("# Notes\r\n\r\nLine two.".utf8))
        #expect(parts[0].header("content-disposition") != nil)
    }

    @Test func parsesSeveralPartsIgnoringPreambleAndEpilogue() throws {
        let body = multipartBody(boundary: "----WebKitFormBoundary7MA4YWxkTrZu0gW", parts: [
            (["Content-Disposition: form-data; name=\"title\""], Array("My title".utf8)),
            (["Content-Disposition: form-data; name=\"empty\""], []),
            (["content-disposition: form-data; name=\"doc\"; filename=\"C:\\Users\\me\\page.html\"",
              "Content-Type: text/html; charset=utf-8"], Array("<p>hi</p>".utf8)),
            (["Content-Disposition: form-data; name=\"u\"; filename=\"fallback.txt\"; filename*=UTF-8''%E6%96%87%E6%A1%A3.txt"],
             Array("x".utf8)),
        ], preamble: "This is a preamble.\r\n--not the boundary\r\n", epilogue: "epilogue --boundary-ish")
        let parts = try MultipartFormData.parse(body, contentType: "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW")
        #expect(parts.map(\.name) == ["title", "empty", "doc", "u"])
        #expect(parts[0].body == Array("My title".utf8))
        #expect(parts[0].filename == nil)
        #expect(parts[1].body.isEmpty)
        #expect(parts[2].filename == "page.html")
        #expect(parts[2].contentType == "text/html; charset=utf-8")
        #expect(parts[3].filename == "文档.txt")
    }

    @Test func isBinarySafe() throws {
        // Every byte value, plus sequences that look like the start of a delimiter.
        var payload = (0...255).map { UInt8($0) }
        payload += Array("\r\n--boun\r\n--boundaryX\r\n-\r\n\r\n".utf8) + [0, 13, 10, 13]
        let body = multipartBody(boundary: "boundary", parts: [
            (["Content-Disposition: form-data; name=\"bin\"; filename=\"a.bin\"", "Content-Type: application/octet-stream"], payload),
            (["Content-Disposition: form-data; name=\"after\""], Array("ok".utf8)),
        ])
        let parts = try MultipartFormData.parse(body, boundary: "boundary")
        #expect(parts.count == 2)
        #expect(parts[0].body == payload)
        #expect(parts[1].body == Array("ok".utf8))
    }

    @Test func toleratesBareLineFeeds() throws {
        let body = multipartBody(boundary: "b", parts: [
            (["Content-Disposition: form-data; name=\"a\""], Array("one\ntwo".utf8)),
            (["Content-Disposition: form-data; name=\"b\""], Array("three".utf8)),
        ], lineEnd: "\n")
        let parts = try MultipartFormData.parse(body, boundary: "b")
        #expect(parts.map(\.name) == ["a", "b"])
        #expect(parts[0].body == Array("one\ntwo".utf8))
        #expect(parts[1].body == Array("three".utf8))
    }

    @Test func rejectsMalformedBodies() {
        let good = "Content-Disposition: form-data; name=\"a\""
        let cases: [(String, [UInt8], TextError.Code)] = [
            ("no delimiter", Array("just some text".utf8), .malformedMultipart),
            ("no closing delimiter", Array("--b\r\n\(good)\r\n\r\ncontent that never ends".utf8), .malformedMultipart),
            ("headers never end", Array("--b\r\n\(good)\r\nX-Other: 1".utf8), .malformedMultipart),
            ("no disposition", multipartBody(boundary: "b", parts: [(["Content-Type: text/plain"], [1])]), .malformedMultipart),
            ("not form-data", multipartBody(boundary: "b", parts: [(["Content-Disposition: attachment; name=\"a\""], [1])]),
             .malformedMultipart),
            ("no name", multipartBody(boundary: "b", parts: [(["Content-Disposition: form-data; filename=\"x\""], [1])]),
             .malformedMultipart),
            ("bad header line", multipartBody(boundary: "b", parts: [([good, "no colon here"], [1])]), .malformedMultipart),
            ("only a close delimiter", Array("--b--\r\n".utf8), .malformedMultipart),
            ("empty body", [], .malformedMultipart),
        ]
        for (label, body, code) in cases {
            #expect(label.isEmpty == false)
            #expect { try MultipartFormData.parse(body, boundary: "b") } throws: { ($0 as? TextError)?.code == code }
        }
    }

    @Test func enforcesLimits() {
        let part = (headers: ["Content-Disposition: form-data; name=\"a\""], body: Array("x".utf8))
        let many = multipartBody(boundary: "b", parts: Array(repeating: part, count: 5))
        #expect(throws: Never.self) { try MultipartFormData.parse(many, boundary: "b", limits: .init(maxParts: 5)) }
        #expect { try MultipartFormData.parse(many, boundary: "b", limits: .init(maxParts: 4)) }
            throws: { ($0 as? TextError)?.code == .limitExceeded }
        let bigHeader = multipartBody(boundary: "b", parts: [(
            ["Content-Disposition: form-data; name=\"a\"", "X-Padding: " + String(repeating: "p", count: 10_000)], [1])])
        #expect { try MultipartFormData.parse(bigHeader, boundary: "b") } throws: { ($0 as? TextError)?.code == .limitExceeded }
        // A header block that never ends and is larger than the limit is a limit error too.
        let endless = Array(("--b\r\n" + String(repeating: "X-A: 1\r\n", count: 3000)).utf8)
        #expect { try MultipartFormData.parse(endless, boundary: "b") } throws: { ($0 as? TextError)?.code == .limitExceeded }
    }
}
