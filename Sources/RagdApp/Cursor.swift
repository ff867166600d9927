import Foundation
import RagdCore
import RagdHTTP

/// Opaque pagination cursors: base64url of "created_at|id", validated on the way back.
enum Cursor {
    static func encode(createdAt: String, id: String) -> String {
        Data("\(createdAt)|\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) throws -> (createdAt: String, id: String) {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard cursor.count <= 200, let data = Data(base64Encoded: base64),
              let text = String(data: data, encoding: .utf8) else { throw invalid() }
        let parts = text.split(separator: "|", maxSplits: 1).map(String.init)
        guard parts.count == 2, Identifier.isUUID(parts[1]), isTimestamp(parts[0]) else { throw invalid() }
        return (parts[0], parts[1])
    }

    /// `2026-11-27T07:01:30.123456Z` naming a real instant (what PostgreSQL printed), so
    /// that a forged cursor with month 99 is a 422 here, not a database error.
    static func isTimestamp(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 27 else { return false }
        for (index, byte) in bytes.enumerated() {
            let expected: UInt8? = [4: UInt8(ascii: "-"), 7: UInt8(ascii: "-"), 10: UInt8(ascii: "T"), 13: UInt8(ascii: ":"),
                                    16: UInt8(ascii: ":"), 19: UInt8(ascii: "."), 26: UInt8(ascii: "Z")][index]
            if let expected { if byte != expected { return false } } else if !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { return false }
        }
        func number(_ from: Int, _ count: Int) -> Int { bytes[from..<from + count].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) } }
        let (year, month, day) = (number(0, 4), number(5, 2), number(8, 2))
        guard year >= 1, (1...12).contains(month), number(11, 2) < 24, number(14, 2) < 60, number(17, 2) < 60 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }

    private static func invalid() -> Problem { JSONBody.invalid("cursor", "is not a cursor this server issued") }
}
