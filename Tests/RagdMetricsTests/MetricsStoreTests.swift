import Foundation
import RagdMetrics
import RagdTesting
import Testing

@Suite struct MetricsStoreTests {
    static let counter = MetricFamily(name: "test_events_total", help: "Events.", kind: .counter, labelNames: ["kind"])
    static let histogram = MetricFamily(name: "test_latency_seconds", help: "Latency.", kind: .histogram,
                                        labelNames: ["stage"], buckets: [0.1, 1, 10])

    @Test func sameLabelsShareASeriesAndWritersAreSummed() throws {
        let store = try MetricsStore(families: [Self.counter], writers: 3)
        let family = store.family("test_events_total")
        let a = store.series(family, ["a"])
        #expect(store.series(family, ["a"]).cellOffset == a.cellOffset)
        #expect(store.series(family, ["b"]).cellOffset != a.cellOffset)
        store.add(a, 2, writer: 0)
        store.add(a, 3, writer: 1)
        store.add(a, 5, writer: 2)
        store.add(store.series(family, ["b"]), writer: 2)
        let values = Dictionary(uniqueKeysWithValues: store.snapshot().map { ($0.labelValues, $0.cells[0]) })
        #expect(values[["a"]] == 10)
        #expect(values[["b"]] == 1)
    }

    @Test func concurrentThreadsCountExactly() throws {
        let store = try MetricsStore(families: [Self.counter], writers: 2)
        let family = store.family("test_events_total")
        let threads = 8, perThread = 5000
        DispatchQueue.concurrentPerform(iterations: threads) { index in
            for i in 0..<perThread {
                store.add(store.series(family, ["k\(i % 7)"]), writer: index % 2)
            }
        }
        let total = store.snapshot().reduce(UInt64(0)) { $0 + $1.cells[0] }
        #expect(total == UInt64(threads * perThread))
        #expect(store.snapshot().filter { $0.cells[0] > 0 }.count == 7)
    }

    @Test func histogramBucketsAreCumulativeInTheExposition() throws {
        let store = try MetricsStore(families: [Self.histogram], writers: 1)
        let series = store.series(store.family("test_latency_seconds"), ["embed"])
        for value in [0.05, 0.5, 0.5, 5, 50] { store.observe(series, value, writer: 0) }
        let text = PrometheusText.render(families: store.families, snapshot: store.snapshot(), computed: [])
        #expect(text.contains(#"test_latency_seconds_bucket{stage="embed",le="0.1"} 1"#))
        #expect(text.contains(#"test_latency_seconds_bucket{stage="embed",le="1"} 3"#))
        #expect(text.contains(#"test_latency_seconds_bucket{stage="embed",le="10"} 4"#))
        #expect(text.contains(#"test_latency_seconds_bucket{stage="embed",le="+Inf"} 5"#))
        #expect(text.contains(#"test_latency_seconds_count{stage="embed"} 5"#))
        #expect(text.contains(#"test_latency_seconds_sum{stage="embed"} 56.05"#))
    }

    @Test func labelSetsBeyondCapacityGoToTheOverflowSeries() throws {
        let store = try MetricsStore(families: [Self.counter, Self.histogram], writers: 1, seriesCapacity: 16, cellsPerWriter: 4096)
        let family = store.family("test_events_total")
        for i in 0..<100 { store.add(store.series(family, ["label-\(i)"]), writer: 0) }
        let snapshot = store.snapshot()
        #expect(snapshot.count <= 16, "the registry never grows past its capacity")
        let overflow = try #require(snapshot.first { $0.family == family && $0.labelValues == [MetricsStore.overflowValue] })
        let kept = snapshot.filter { $0.family == family && $0.labelValues != [MetricsStore.overflowValue] }
        #expect(overflow.cells[0] + kept.reduce(0) { $0 + $1.cells[0] } == 100, "nothing is lost, only merged")
        #expect(store.droppedSeries == overflow.cells[0])
        #expect(store.droppedSeries > 0)
    }

    @Test func runningOutOfCellsAlsoOverflows() throws {
        // Room for the two overflow series (1 + 6 cells) and a few more counters only.
        let store = try MetricsStore(families: [Self.counter, Self.histogram], writers: 1, seriesCapacity: 64, cellsPerWriter: 10)
        let family = store.family("test_events_total")
        for i in 0..<20 { store.add(store.series(family, ["x\(i)"]), writer: 0) }
        #expect(store.droppedSeries == 17)
        let total = store.snapshot().filter { $0.family == family }.reduce(UInt64(0)) { $0 + $1.cells[0] }
        #expect(total == 20)
    }

    @Test func labelValuesAreEscaped() throws {
        let store = try MetricsStore(families: [Self.counter], writers: 1)
        store.add(store.series(store.family("test_events_total"), ["a\"b\\c\nd"]), writer: 0)
        let text = PrometheusText.render(families: store.families, snapshot: store.snapshot(), computed: [])
        #expect(text.contains(#"test_events_total{kind="a\"b\\c\nd"} 1"#))
    }

    @Test func promtoolAcceptsTheExposition() throws {
        let store = try MetricsStore(families: MetricCatalog.all, writers: 2)
        let recorder = MetricsRecorder(store: store, writer: 1)
        recorder.recordRequest(method: "GET", endpoint: "/v1/documents/{id}", status: 200, seconds: 0.02)
        recorder.recordRequest(method: "BREW", endpoint: nil, status: 404, seconds: 0.001)
        recorder.recordStage("generate", seconds: 12.5)
        let computed = [PrometheusText.ComputedFamily(name: "rag_pool_threads", help: "Threads.", kind: .gauge, samples: [.init(8)])]
        let text = PrometheusText.render(families: store.families, snapshot: store.snapshot(), computed: computed)
        #expect(text.contains(#"rag_requests_total{method="OTHER",endpoint="unmatched",status="404"} 1"#))
        let result = try promtool(text)
        #expect(result.status == 0, "promtool: \(result.output)")
        #expect(result.output.isEmpty, "no lint complaint: \(result.output)")
    }
}

/// Runs `promtool check metrics` on `text` (promtool comes from Debian's prometheus package).
func promtool(_ text: String) throws -> (status: Int32, output: String) {
    let result = try run("/usr/bin/env", ["promtool", "check", "metrics"], input: Data(text.utf8))
    return (result.status, result.output)
}
