import Testing
@testable import RagdText

@Suite struct UTF8TextTests {
    @Test func decodesValidUTF8AndDropsOneByteOrderMark() throws {
        #expect(try UTF8Text.decode(Array("héllo 世界 😀".utf8)) == "héllo 世界 😀")
        #expect(try UTF8Text.decode([0xEF, 0xBB, 0xBF] + Array("x".utf8)) == "x")
        #expect(try UTF8Text.decode([UInt8]()) == "")
    }

    @Test(arguments: [
        ([0x61, 0xFF], 1),                   // never valid
        ([0x80], 0),                         // lone continuation byte
        ([0x61, 0x62, 0xC0, 0x80], 2),       // overlong NUL
        ([0xE0, 0x80, 0x80], 0),             // overlong 3-byte
        ([0x61, 0xED, 0xA0, 0x80], 1),       // UTF-16 surrogate
        ([0xF4, 0x90, 0x80, 0x80], 0),       // above U+10FFFF
        ([0x61, 0x62, 0x63, 0xE2, 0x82], 3), // truncated at the end
        ([0xC3, 0xA9, 0xC3, 0x28], 2),       // bad continuation after a good é
        ([0xF0, 0x9F, 0x98], 0),             // truncated emoji
    ] as [([UInt8], Int)])
    func reportsTheOffsetOfTheFirstInvalidSequence(bytes: [UInt8], offset: Int) {
        #expect(UTF8Text.firstInvalidOffset(bytes) == offset)
        do {
            _ = try UTF8Text.decode(bytes)
            Issue.record("decoding \(bytes) should fail")
        } catch {
            #expect(error.code == .invalidUTF8)
            #expect(error.byteOffset == offset)
            #expect(error.message.contains("byte offset \(offset)"))
        }
    }

    @Test func acceptsEveryScalarBoundary() {
        let edges: [Unicode.Scalar] = ["\u{7F}", "\u{80}", "\u{7FF}", "\u{800}", "\u{D7FF}", "\u{E000}", "\u{FFFF}",
                                       "\u{10000}", "\u{10FFFF}"]
        for scalar in edges {
            #expect(UTF8Text.firstInvalidOffset(Array(String(scalar).utf8)) == nil, "U+\(String(scalar.value, radix: 16))")
        }
    }
}
