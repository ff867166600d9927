import RagdCore

/// Where one request's time went, stage by stage, in milliseconds: returned to the client
/// (`timings`) and used by the benchmarks to split time between ragd and its backends.
public struct StageTimings: Sendable {
    public private(set) var stages: [(name: String, milliseconds: Double)] = []

    public init() {}

    /// Runs `body` and records how long it took as `stage` (added to earlier time of the
    /// same stage).
    public mutating func measure<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        let started = Clock.monotonicNanoseconds()
        defer { add(stage, milliseconds: Double(Clock.monotonicNanoseconds() - started) / 1e6) }
        return try body()
    }

    /// Adds `milliseconds` to `stage` (time measured elsewhere).
    public mutating func add(_ stage: String, milliseconds: Double) {
        if let index = stages.firstIndex(where: { $0.name == stage }) {
            stages[index].milliseconds += milliseconds
        } else {
            stages.append((stage, milliseconds))
        }
    }

    public func milliseconds(_ stage: String) -> Double? { stages.first { $0.name == stage }?.milliseconds }
}
