import Foundation
import RagdCore
import Testing

@testable import RagdApp

/// `/health/ready` under a probe storm: concurrent probes share one round of checks.
@Suite struct ReadinessTests {
    final class Counter: @unchecked Sendable {
        private let lock = PThreadMutex()
        private var value = 0
        func increment() { lock.withLock { value += 1 } }
        var count: Int { lock.withLock { value } }
    }

    final class Collected: @unchecked Sendable {
        private let lock = PThreadMutex()
        private var values: [[Readiness.Result]] = []
        func append(_ value: [Readiness.Result]) { lock.withLock { values.append(value) } }
        var all: [[Readiness.Result]] { lock.withLock { values } }
    }

    /// `probes` threads probing at once (threads of their own: the checks run on the
    /// global dispatch queue, which the probes must not occupy).
    static func probeStorm(_ readiness: Readiness, probes: Int) -> [[Readiness.Result]] {
        let collected = Collected()
        let group = DispatchGroup()
        for _ in 0..<probes {
            group.enter()
            Thread {
                collected.append(readiness.run())
                group.leave()
            }.start()
        }
        group.wait()
        return collected.all
    }

    @Test func concurrentProbesShareOneRoundOfChecks() {
        let runs = Counter()
        let readiness = Readiness(checks: [Readiness.Check(name: "database") { _ in
            runs.increment()
            return nil
        }], timeout: 1, cacheSeconds: 60)
        let results = Self.probeStorm(readiness, probes: 32)
        #expect(runs.count == 1, "one round for 32 probes, not \(runs.count)")
        #expect(results.count == 32 && results.allSatisfy { $0.count == 1 && $0[0].name == "database" && $0[0].outcome == nil })
    }

    @Test func withoutCachingEveryProbeChecks() {
        let runs = Counter()
        let readiness = Readiness(checks: [Readiness.Check(name: "redis") { _ in
            runs.increment()
            return "error: refused"
        }], timeout: 1, cacheSeconds: 0)
        let results = Self.probeStorm(readiness, probes: 8)
        #expect(runs.count == 8)
        #expect(results.count == 8 && results.allSatisfy { $0.first?.outcome == "error: refused" })
    }
}
