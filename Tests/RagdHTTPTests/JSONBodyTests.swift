import Foundation
@testable import RagdHTTP
import Testing

@Suite struct JSONBodyTests {
    func request(_ body: String, contentType: String = "application/json") -> Request {
        var headers = HTTPHeaders()
        headers.add("content-type", contentType)
        return Request(method: "POST", path: "/v1/x", headers: headers, body: Array(body.utf8), requestID: "r")
    }

    func problem(_ body: () throws -> Void) -> Problem? {
        do { try body(); return nil } catch let problem as Problem { return problem } catch { return nil }
    }

    @Test func malformedJSONSaysWhere() {
        let p = problem { _ = try JSONBody(request("{\n  \"a\": 1,,\n}")) }
        #expect(p?.status == 400)
        #expect(p?.detail?.contains("line 2") == true, "\(p?.detail ?? "")")
    }

    @Test func invalidUTF8IsA400WithTheOffset() {
        var r = request("")
        r.body = Array("{\"a\":\"".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        let p = problem { _ = try JSONBody(r) }
        #expect(p?.status == 400)
        #expect(p?.detail?.contains("offset 6") == true, "\(p?.detail ?? "")")
    }

    @Test func wrongContentTypeIs415() {
        #expect(problem { _ = try JSONBody(request("{}", contentType: "text/plain")) }?.status == 415)
        #expect(problem { _ = try JSONBody(request("{}", contentType: "application/json; charset=latin1")) }?.status == 415)
        #expect(problem { _ = try JSONBody(request("{}", contentType: "application/json; charset=utf-8")) } == nil)
    }

    @Test func fieldsAreTypedAndNamedInErrors() throws {
        let body = try JSONBody(request(#"{"title": 5, "top_k": 51, "flag": 1, "n": true, "ok": "x", "f": 2.5}"#))
        let wrongType = problem { _ = try body.string("title") }
        #expect(wrongType?.status == 422)
        #expect(wrongType?.detail == "title: must be a string")
        #expect(problem { _ = try body.int("top_k", range: 1...50) }?.detail?.hasPrefix("top_k: must be between 1 and 50") == true)
        #expect(problem { _ = try body.bool("flag") }?.detail == "flag: must be true or false")
        #expect(problem { _ = try body.int("n") }?.detail == "n: must be an integer", "a JSON boolean is not a number")
        #expect(problem { _ = try body.int("f") }?.detail == "f: must be an integer")
        #expect(problem { _ = try body.string("missing", required: true) }?.detail == "missing: is required")
        #expect(try body.string("ok") == "x")
        #expect(try body.double("f") == 2.5)
        #expect(problem { try body.allowOnly(["title"]) }?.detail?.hasPrefix("f: is not a known field") == true)
        let response = try #require(wrongType).response(requestID: "r")
        guard case .bytes(let bytes) = response.body else { Issue.record("expected bytes"); return }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect((json["errors"] as? [[String: String]])?.first?["field"] == "title")
    }

    @Test func emptyStringsCanBeRefused() throws {
        let body = try JSONBody(request(#"{"text": "  \n "}"#))
        #expect(problem { _ = try body.string("text", allowEmpty: false) }?.detail == "text: must not be empty")
    }

    @Test func nonObjectBodiesAreRefused() {
        #expect(problem { _ = try JSONBody(request("[1,2]")) }?.status == 400)
        #expect(problem { _ = try JSONBody(request("")) }?.status == 400)
    }
}
