import CFastCGI
@testable import RagdFastCGI
import RagdHTTP
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `FastCGIServer.makeRequest` on params laid out as libfcgi hands them over (`NAME=value`
/// C strings, NULL-terminated array).
@Suite("FastCGI params -> Request")
struct MakeRequestTests {
    static func request(_ params: [String]) -> (request: Request, contentLength: Int?) {
        let strings = params.map { strdup($0) }
        defer { strings.forEach { free($0) } }
        var envp: [UnsafeMutablePointer<CChar>?] = strings + [nil]
        return envp.withUnsafeMutableBufferPointer { FastCGIServer.makeRequest($0.baseAddress) }
    }

    /// The same from raw bytes (params that are not valid UTF-8).
    static func request(bytes params: [[UInt8]]) -> Request {
        let strings = params.map { param -> UnsafeMutablePointer<CChar>? in
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: param.count + 1)
            for (index, byte) in param.enumerated() { copy[index] = CChar(bitPattern: byte) }
            copy[param.count] = 0
            return copy
        }
        defer { strings.forEach { $0?.deallocate() } }
        var envp = strings + [nil]
        return envp.withUnsafeMutableBufferPointer { FastCGIServer.makeRequest($0.baseAddress).request }
    }

    static func names(_ request: Request) -> [String] { request.headers.map(\.name) }

    @Test func targetIsSplitAtTheFirstQuestionMarkAsTheDecodedStringWouldBe() {
        let targets: [[UInt8]] = [
            Array("/health".utf8), Array("/a?b=1".utf8), Array("/a?b?c".utf8), Array("?x".utf8), Array("/a?".utf8),
            Array("".utf8), Array("/caf\u{e9}?q=\u{e9}".utf8), [0x2f, 0xe2, 0x82, 0x3f, 0x61, 0xff], [0x2f, 0xc3, 0x3f, 0xa9],
            [0xe2, 0x82], [0x2f, 0x3f, 0xe2, 0x82, 0xac, 0x3f, 0xf0, 0x9f],
        ]
        for target in targets {
            for queryString in [nil, "", "given=1"] as [String?] {
                var params = [Array("REQUEST_URI=".utf8) + target]
                if let queryString { params.append(Array("QUERY_STRING=\(queryString)".utf8)) }
                let request = Self.request(bytes: params)
                // What splitting the decoded target gives (the transport's rule before).
                let decoded = String(decoding: target, as: UTF8.self)
                var path = decoded, query = queryString ?? ""
                if let mark = decoded.utf8.firstIndex(of: UInt8(ascii: "?")) {
                    path = String(decoded[..<mark])
                    if query.isEmpty { query = String(decoded[decoded.index(after: mark)...]) }
                }
                #expect(request.path == (path.isEmpty ? "/" : path), "\(target)")
                #expect(request.query == query, "\(target)")
            }
        }
        // DOCUMENT_URI only when REQUEST_URI is missing; "/" when both are.
        #expect(Self.request(["DOCUMENT_URI=/d?x"]).request.path == "/d")
        #expect(Self.request(["DOCUMENT_URI=/d", "REQUEST_URI=/r"]).request.path == "/r")
        #expect(Self.request([]).request.path == "/")
    }

    @Test func headerNamesAreLowerCasedWithDashesReadyMadeOrNot() {
        // The ready-made names and some that are converted byte by byte.
        let params = ["HOST", "ACCEPT", "ORIGIN", "USER_AGENT", "CONNECTION", "X_REAL_IP", "X_REQUEST_ID",
                      "AUTHORIZATION", "LAST_EVENT_ID", "ACCEPT_ENCODING", "ACCEPT_LANGUAGE", "X_FORWARDED_FOR",
                      "CONTENT_TYPE", "CONTENT_LENGTH", "X_CUSTOM_THING", "SEC_CH_UA", "HOSTS", "X", "DNT"]
        let (request, _) = Self.request(params.map { "HTTP_\($0)=v" } + ["CONTENT_TYPE=text/plain", "CONTENT_LENGTH=12"])
        let expected = params.map { String($0.lowercased().map { $0 == "_" ? "-" : $0 }) }
        #expect(Self.names(request) == expected + ["content-type", "content-length"])
    }

    @Test func laterParamsOfTheSameNameWinAndEmptyContentHeadersAreDropped() {
        let (request, length) = Self.request([
            "HTTP_ORIGIN=https://a.example", "CONTENT_TYPE=", "HTTP_ACCEPT=*/*", "HTTP_ORIGIN=https://b.example",
            "CONTENT_LENGTH=5", "REQUEST_METHOD=post", "REQUEST_URI=/v1/x?y=1", "QUERY_STRING=",
        ])
        #expect(Self.names(request) == ["accept", "origin", "content-length"])
        #expect(request.headers["Origin"] == "https://b.example")
        #expect(length == 5)
        #expect(request.method == "POST")
        #expect(request.path == "/v1/x")
        #expect(request.query == "y=1")
    }

    @Test func requestIDIsTakenWhenAcceptableElseMadeUp() {
        let kept = Self.request(["HTTP_X_REQUEST_ID=abc-1.2_Z", "HTTP_X_REQUEST_ID=0123456789abcdef0123456789abcdef"]).request
        #expect(kept.requestID == "0123456789abcdef0123456789abcdef")
        for bad in ["", "a b", "é", String(repeating: "a", count: 129), "a\"b"] {
            let request = Self.request(["HTTP_X_REQUEST_ID=\(bad)"]).request
            #expect(request.requestID != bad)
            #expect(request.requestID.utf8.count == 32 && RequestID.sanitize(request.requestID) != nil)
            // The header keeps what was sent; only the id is replaced.
            #expect(request.headers["X-Request-ID"] == bad)
        }
        #expect(Self.request(["HTTP_X_REQUEST_ID=" + String(repeating: "a", count: 128)]).request.requestID.utf8.count == 128)
    }

    @Test func paramsAsNginxSendsThemAndLookAlikes() {
        let (request, length) = Self.request([
            "GATEWAY_INTERFACE=CGI/1.1", "SERVER_SOFTWARE=nginx", "REQUEST_METHOD=GET", "REQUEST_URI=/health?x=1",
            "DOCUMENT_URI=/health", "SCRIPT_NAME=/health", "QUERY_STRING=x=1", "CONTENT_TYPE=", "CONTENT_LENGTH=",
            "SERVER_PROTOCOL=HTTP/1.1", "REQUEST_SCHEME=http", "REMOTE_ADDR=127.0.0.1", "REMOTE_PORT=5555",
            "SERVER_ADDR=127.0.0.1", "SERVER_PORT=80", "SERVER_NAME=localhost", "HTTPS=on", "HTTP_=empty-name",
            "HTTPX_Y=no", "CONTENT_TYPES=no", "QUERY_STRINGS=no", "DOCUMENT_ROOT=/srv", "REMOTE_ADDRS=no",
            "=novalue", "NOEQUALS", "HTTP_HOST=localhost", "HTTP_X_REQUEST_ID=abc",
        ])
        #expect(request.method == "GET")
        #expect(request.path == "/health")
        #expect(request.query == "x=1")
        #expect(request.remoteAddress == "127.0.0.1")
        #expect(request.requestID == "abc")
        #expect(length == 0)
        #expect(Self.names(request) == ["", "host", "x-request-id"])
        #expect(request.headers[""] == "empty-name")
    }

    @Test func nonASCIINamesFollowTheStringRules() {
        // A combining mark after "HTTP_" makes another first five characters: not a header.
        let (request, _) = Self.request(["HTTP_X_CAFÉ=1", "HTTP_X_ÅB_C=2", "CONTENT_TYPÉ=3", "HTTP_\u{301}X=4",
                                         "H\u{308}TTP_X=5", "HTTP_X_CAF\u{65}\u{301}=6"])
        #expect(Self.names(request) == ["x-café", "x-åb-c", "x-cafe\u{301}"])
        // Lookups follow the String rules too: "x-café" is the same name, and comes first.
        #expect(request.headers["x-cafe\u{301}"] == "1")
    }

    @Test func contentLengthIsANonNegativeDecimalOrNone() {
        #expect(Self.request(["REQUEST_METHOD=GET"]).contentLength == 0, "absent")
        #expect(Self.request(["CONTENT_LENGTH="]).contentLength == 0, "empty, as nginx sends it for a GET")
        #expect(Self.request(["CONTENT_LENGTH=0"]).contentLength == 0)
        #expect(Self.request(["CONTENT_LENGTH=1234"]).contentLength == 1234)
        for malformed in ["-5", "12abc", " 3", "0x10", "99999999999999999999999"] {
            #expect(Self.request(["CONTENT_LENGTH=\(malformed)"]).contentLength == nil, "\(malformed)")
        }
    }
}
