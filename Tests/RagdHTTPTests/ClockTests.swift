import RagdCore
import Testing

// RagdCore is a dependency of RagdHTTP, so it is importable here without a new dependency.

@Suite("Clock")
struct ClockTests {
    @Test(arguments: [
        (0, "1970-01-01T00:00:00Z"),
        (1_700_000_000, "2023-11-14T22:13:20Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"),
    ])
    func iso8601FormatsWholeSeconds(seconds: Int, expected: String) {
        #expect(Clock.iso8601(seconds: seconds, microseconds: nil) == expected)
    }

    @Test func iso8601PadsMicroseconds() {
        #expect(Clock.iso8601(seconds: 0, microseconds: 5) == "1970-01-01T00:00:00.000005Z")
        #expect(Clock.iso8601(seconds: 1_700_000_000, microseconds: 999_999) == "2023-11-14T22:13:20.999999Z")
    }

    @Test func iso8601NowIsCurrentAndShaped() throws {
        let before = Int(Clock.wallSeconds())
        let now = Clock.iso8601Now()
        let after = Int(Clock.wallSeconds())
        #expect(now.count == 27)
        #expect(now.hasSuffix("Z"))
        // The whole seconds must be one of the seconds the call spanned.
        let prefix = String(now.prefix(19)) + "Z"
        #expect((before...after).map { Clock.iso8601(seconds: $0, microseconds: nil) }.contains(prefix))
    }

    @Test func monotonicClockDoesNotGoBack() {
        let first = Clock.monotonicNanoseconds()
        let second = Clock.monotonicNanoseconds()
        #expect(second >= first)
    }

    @Test func elapsedNeverWrapsAround() {
        // A worker may stamp a request just after the master read the clock.
        #expect(Clock.elapsed(from: 1_000, to: 999) == 0)
        #expect(Clock.elapsed(from: 1_000, to: 3_500) == 2_500)
    }
}
