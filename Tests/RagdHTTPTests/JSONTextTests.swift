import Foundation
import RagdCore
import Testing

// RagdCore is a dependency of RagdHTTP, so it is importable here without a new dependency.

@Suite("JSONText")
struct JSONTextTests {
    /// Parses a JSON string literal with Foundation, wrapped in an array so no fragment
    /// option is needed.
    static func parseString(_ literal: String) throws -> String? {
        let value = try JSONSerialization.jsonObject(with: Data(("[" + literal + "]").utf8))
        return (value as? [Any])?.first as? String
    }

    @Test(arguments: ["", "plain", "\"", "\\", "\n\r\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "🚀", "\u{2028}"])
    func quotedRoundTrips(text: String) throws {
        #expect(try Self.parseString(JSONText.quoted(text)) == text)
    }

    @Test func quotedRoundTripsTrickyText() throws {
        #expect(try Self.parseString(JSONText.quoted(trickyText)) == trickyText)
    }

    @Test func quotedEscapesControlsAsFourHexDigits() {
        #expect(JSONText.quoted("\u{1}") == #""\u0001""#)
        #expect(JSONText.quoted("\u{1F}") == #""\u001f""#)
        #expect(JSONText.quoted("a\"b\\c\nd") == #""a\"b\\c\nd""#)
        #expect(!JSONText.quoted(trickyText).utf8.contains { $0 < 0x20 })
    }

    @Test func objectRoundTripsWithTrickyKeysAndValues() throws {
        let text = JSONText.object([
            (trickyText, JSONText.quoted(trickyText)),
            ("n", "42"),
            ("list", "[1,\"two\",null]"),
            ("nested", JSONText.object([("ok", "true")])),
        ])
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        let object = try #require(value as? [String: Any])
        #expect(object[trickyText] as? String == trickyText)
        #expect(object["n"] as? Int == 42)
        #expect((object["list"] as? [Any])?.count == 3)
        #expect((object["nested"] as? [String: Any])?["ok"] as? Bool == true)
    }

    @Test func emptyObject() {
        #expect(JSONText.object([]) == "{}")
    }
}
