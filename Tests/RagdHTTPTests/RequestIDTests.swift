import RagdHTTP
import Testing

@Suite("RequestID")
struct RequestIDTests {
    @Test(arguments: [
        "0123456789abcdef0123456789abcdef",     // nginx $request_id
        "a",
        "Req.ID_with-all-the.allowed_chars-09",
        String(repeating: "x", count: 128),
    ])
    func sanitizeKeepsSafeIDs(id: String) {
        #expect(RequestID.sanitize(id) == id)
    }

    @Test(arguments: [
        "",
        String(repeating: "x", count: 129),
        "a b",
        "a\"b",
        "a'b",
        "a\nb",
        "a\rb",
        "a\tb",
        "a\u{0}b",
        "é",
        "id-日本",
        "a/b",
        "a;b",
        "a=b",
        "a{b}",
        "a%20b",
        "a\\b",
        "0123456789abcdef0123456789abcdef\n{\"level\":\"error\"}",
    ])
    func sanitizeRejectsEverythingElse(id: String) {
        #expect(RequestID.sanitize(id) == nil)
    }

    @Test func sanitizeOfNilIsNil() {
        #expect(RequestID.sanitize(nil) == nil)
    }

    @Test func generateLooksLikeNginx() {
        let id = RequestID.generate()
        #expect(id.utf8.count == 32)
        #expect(id.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(RequestID.sanitize(id) == id)
    }

    @Test func generatedIDsDiffer() {
        #expect(RequestID.generate() != RequestID.generate())
        let many = (0..<1000).map { _ in RequestID.generate() }
        #expect(Set(many).count == many.count)
    }

    @Test func generatedIDsUseEveryHexDigitPosition() {
        // A byte-order or shift slip would leave some positions constant (e.g. always "0").
        let many = (0..<200).map { _ in Array(RequestID.generate()) }
        for position in 0..<32 {
            #expect(Set(many.map { $0[position] }).count > 1, "position \(position) never changes")
        }
    }
}
