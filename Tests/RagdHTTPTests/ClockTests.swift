import Foundation
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

    /// Seconds in the order a cache could get them wrong: repeated, the next one, jumps
    /// forward and back (the wall clock may be set back), across a day and a year, before
    /// 1970, and with a year `iso8601` writes in its general form.
    static let cachedSeconds = [1_700_000_000, 1_700_000_000, 1_700_000_001, 1_700_000_001, 1_700_000_060,
                                1_700_003_600, 1_699_999_999, 1_700_000_000, 946_684_799, 946_684_800,
                                951_868_799, 951_868_800, 0, -1, -62_135_596_801, 253_402_300_799,
                                253_402_300_800, 1_700_000_000]

    @Test func appendedTimestampsMatchFreshlyFormattedOnesAcrossSeconds() {
        for seconds in Self.cachedSeconds {
            for micros in [0, 5, 123_456, 999_999, 1_000_000, -1] {
                var out: [UInt8] = Array("x".utf8)
                Clock.withISO8601(seconds: seconds, microseconds: micros) { out.append(contentsOf: $0) }
                #expect(String(decoding: out, as: UTF8.self) == "x" + Clock.iso8601(seconds: seconds, microseconds: micros),
                        "seconds \(seconds), microseconds \(micros)")
            }
        }
    }

    @Test func appendedTimestampsAreRightWhileThreadsShareTheCache() {
        // Threads asking for different seconds at once: some find the cache busy and
        // format their own, some replace the cached second; every answer must be its own.
        let mismatches = Recorder<Int>()
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for round in 0..<2_000 {
                let seconds = Self.cachedSeconds[(thread + round) % Self.cachedSeconds.count] + (round % 3)
                var out: [UInt8] = []
                Clock.withISO8601(seconds: seconds, microseconds: round) { out.append(contentsOf: $0) }
                if String(decoding: out, as: UTF8.self) != Clock.iso8601(seconds: seconds, microseconds: round) {
                    mismatches.append(seconds)
                }
            }
        }
        #expect(mismatches.items.isEmpty)
    }

    @Test func appendedNowIsCurrentAndShapedLikeIso8601Now() {
        let before = Int(Clock.wallSeconds())
        var out: [UInt8] = []
        Clock.withISO8601Now { out.append(contentsOf: $0) }
        let after = Int(Clock.wallSeconds())
        let now = String(decoding: out, as: UTF8.self)
        #expect(now.count == 27)
        #expect(now.hasSuffix("Z"))
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

