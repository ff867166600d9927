/// The `[n]` markers in an answer: how the model says which passage backs a sentence.
///
/// Recognised forms: `[1]`, `[1][2]`, `[1, 2]`, `[1,2,3]`. Anything else in brackets
/// (`[a]`, `[1.5]`, `[]`, a markdown link text) is not a citation.
public enum CitationMarkers {
    /// The passage numbers cited in `text` that exist (1...`passageCount`), each once, in
    /// order of first appearance. A number the model made up is dropped.
    public static func cited(in text: String, passageCount: Int) -> [Int] {
        var found: [Int] = []
        var seen = Set<Int>()
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "["), let (numbers, end) = group(bytes, from: index + 1) else {
                index += 1
                continue
            }
            for number in numbers where (1...max(passageCount, 1)).contains(number) && passageCount > 0 {
                if seen.insert(number).inserted { found.append(number) }
            }
            index = end
        }
        return found
    }

    /// Parses `1, 2]` starting after a `[`: the numbers and the index after `]`, or nil.
    private static func group(_ bytes: [UInt8], from start: Int) -> ([Int], Int)? {
        var numbers: [Int] = []
        var index = start
        while true {
            while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
            var value = 0, digits = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]), digits < 4 {
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            numbers.append(value)
            while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "]") { return (numbers, index + 1) }
            guard bytes[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
    }
}
