import Logging
import RagdLog
import Testing

@Suite("JSONLogLine")
struct JSONLogLineTests {
    /// The number as the line writes it (the text after `"d":`).
    static func written(_ value: Double) -> String {
        var line = JSONLogLine(level: .info, label: "t", message: "m")
        line.append("d", value)
        return String(line.text.split(separator: #""d":"#).last!.dropLast())
    }

    /// What the swift-log handler writes for the same value (`String(value)` when finite).
    static func handlerWrites(_ value: Double) -> String {
        let text = JSONLogHandler(label: "t").line(level: .info, message: "m", metadata: ["d": .stringConvertible(value)]).text
        return String(text.split(separator: #""d":"#).last!.dropLast())
    }

    @Test(arguments: [0.0, -0.0, 0.001, 0.01, 0.05, 0.1, 0.123, 1.0, 2.0, 12.346, 100.5, 999.999, 1000.0,
                      123_456.789, 999_999_999.999, 1e9, 1e9 + 0.001, 1e12, 1e16, 0.0001, 0.00001, 0.1 + 0.2,
                      1.0 / 3.0, -1.5, Double.pi, .infinity, -.infinity, .nan, .leastNonzeroMagnitude,
                      .greatestFiniteMagnitude])
    func doublesAreWrittenAsTheHandlerWritesThem(value: Double) {
        #expect(Self.written(value) == Self.handlerWrites(value))
    }

    @Test func millisecondsWithMicrosecondResolutionAreWrittenAsStringDoes() {
        // The access log's durations: whole thousandths, spread over nine orders of magnitude.
        var generator = SystemRandomNumberGenerator()
        var wrong: [Double] = []
        for digits in 1...12 {
            for _ in 0..<400 {
                let thousandths = Int.random(in: 0..<Int(pow10(digits)), using: &generator)
                let value = (Double(thousandths) / 1_000_000 * 1_000_000).rounded() / 1000
                if Self.written(value) != String(value) { wrong.append(value) }
            }
        }
        #expect(wrong.isEmpty)
    }

    @Test func longLinesGrowAndMatchTheHandler() {
        // Past the room a line starts with, several times, plain and escaped values mixed.
        let long = String(repeating: "abcdefgh", count: 100), escaped = String(repeating: "a\"b\\c\n\u{1}é", count: 60)
        var line = JSONLogLine(level: .warning, label: "ragd.\"label\"", message: escaped)
        line.append("a", long)
        line.append("b", escaped)
        line.append("c", 12.5)
        line.append("d", long + escaped)
        let handler = JSONLogHandler(label: "ragd.\"label\"").line(level: .warning, message: escaped, metadata: [
            "a": .string(long), "b": .string(escaped), "c": .stringConvertible(12.5), "d": .string(long + escaped),
        ])
        let timestamp = #/"ts":"[^"]*",/#
        #expect(line.text.replacing(timestamp, with: "") == handler.text.replacing(timestamp, with: ""))
        #expect(line.text.utf8.count > 2_000)
    }

    @Test func integersAndKeysAreWrittenAsTheHandlerWritesThem() {
        var line = JSONLogLine(level: .info, label: "t", message: "m")
        line.append("a\"key", Int.min)
        line.append("b", "va\"lue\n")
        line.append("c", 0)
        let handler = JSONLogHandler(label: "t").line(level: .info, message: "m", metadata: [
            "a\"key": .stringConvertible(Int.min), "b": .string("va\"lue\n"), "c": .stringConvertible(0),
        ])
        let timestamp = #/"ts":"[^"]*",/#
        #expect(line.text.replacing(timestamp, with: "") == handler.text.replacing(timestamp, with: ""))
    }
}

private func pow10(_ exponent: Int) -> Double {
    (0..<exponent).reduce(1.0) { value, _ in value * 10 }
}
