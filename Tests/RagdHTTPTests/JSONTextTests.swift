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

    // MARK: the word-at-a-time scan

    /// Escaping one byte at a time, as `appendQuoted` did before it scanned words.
    static func escapedByteByByte(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out += Array(#"\""#.utf8)
            case UInt8(ascii: "\\"): out += Array(#"\\"#.utf8)
            case UInt8(ascii: "\n"): out += Array(#"\n"#.utf8)
            case UInt8(ascii: "\r"): out += Array(#"\r"#.utf8)
            case UInt8(ascii: "\t"): out += Array(#"\t"#.utf8)
            case 0..<0x20: out += Array(String(format: "\\u%04x", Int(byte)).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    /// Every byte that needs escaping and its neighbours that do not (0x20, 0x7F, 0x80,
    /// 0xFF, bytes of multi-byte characters), at every position of fillers of 0 to 23
    /// bytes, so each one lands at each offset of an 8-byte word and in the tail.
    static let scanCases: [[UInt8]] = {
        let specials: [[UInt8]] = [[0x00], [0x01], [0x0a], [0x1f], [0x22], [0x5c], [0x20], [0x21], [0x5b], [0x5d],
                                   [0x7f], [0x80], [0xff], Array("é".utf8), Array("🚀".utf8), [0x22, 0x5c, 0x0a]]
        let fillers: [[UInt8]] = [Array("abcdefghijklmnopqrstuvw".utf8), Array("ééééééééééé".utf8),
                                  [UInt8](repeating: 0xa2, count: 23)]
        var cases: [[UInt8]] = []
        for filler in fillers {
            for length in 0..<24 {
                let base = Array(filler.prefix(length))
                cases.append(base)
                for special in specials {
                    for position in 0...base.count {
                        cases.append(Array(base[..<position]) + special + Array(base[position...]))
                    }
                }
            }
        }
        return cases
    }()

    @Test func wordScanEscapesAsByteByByteDoes() {
        var wrong = 0
        for bytes in Self.scanCases {
            let expected = Self.escapedByteByByte(bytes)
            var raw: [UInt8] = []
            bytes.withUnsafeBufferPointer { JSONText.appendQuoted($0, to: &raw) }
            var viaString: [UInt8] = []
            JSONText.appendQuoted(String(decoding: bytes, as: UTF8.self).utf8, to: &viaString)
            let needs = bytes.withUnsafeBufferPointer { JSONText.needsEscaping($0) }
            if raw != expected || needs != (expected.count != bytes.count + 2) { wrong += 1 }
            // Invalid UTF-8 is repaired by String(decoding:), so compare only valid input.
            if String(validating: bytes, as: UTF8.self) != nil && viaString != expected { wrong += 1 }
        }
        #expect(wrong == 0)
    }

    @Test func needsEscapingFindsEachSpecialByteAnywhere() {
        for special: UInt8 in [0x00, 0x1f, 0x22, 0x5c] {
            for length in 1..<20 {
                for position in 0..<length {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = special
                    #expect(bytes.withUnsafeBufferPointer { JSONText.needsEscaping($0) }, "byte \(special) at \(position) of \(length)")
                }
            }
        }
        #expect(!Array("plain-ASCII_text/with:punctuation é 🚀 \u{7F}".utf8).withUnsafeBufferPointer { JSONText.needsEscaping($0) })
    }

    @Test func emptyObject() {
        #expect(JSONText.object([]) == "{}")
    }
}
