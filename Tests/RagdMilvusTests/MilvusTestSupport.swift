import Foundation
import RagdTesting
import Testing
@testable import RagdMilvus

/// The real Milvus the tests use (`MILVUS_HOST`, `MILVUS_PORT`, `MILVUS_MANAGEMENT_PORT`;
/// defaults 127.0.0.1, 19530, 9091). CI starts it before the tests; when it is not there
/// the live tests fail with a message saying so, they do not skip.
enum MilvusTestSupport {
    typealias Failure = TestFailure

    static var host: String { ProcessInfo.processInfo.environment["MILVUS_HOST"] ?? "127.0.0.1" }
    static var port: Int { ProcessInfo.processInfo.environment["MILVUS_PORT"].flatMap(Int.init) ?? 19530 }
    static var managementPort: Int {
        ProcessInfo.processInfo.environment["MILVUS_MANAGEMENT_PORT"].flatMap(Int.init) ?? 9091
    }

    static func configuration() -> MilvusClient.Configuration {
        MilvusClient.Configuration(host: host, port: port, managementPort: managementPort)
    }

    /// A client for the real Milvus, after checking that it answers.
    static func liveClient(_ configuration: MilvusClient.Configuration = configuration()) throws -> MilvusClient {
        let client = try MilvusClient(configuration: configuration)
        do {
            try client.health()
        } catch {
            throw Failure("Milvus is not reachable at \(host):\(port) (set MILVUS_HOST/MILVUS_PORT; start it with "
                + "`milvus-server --data DIR`): \(error)")
        }
        return client
    }

    private static let counter = Counter()

    /// A collection name no other test (or test run) uses.
    static func uniqueCollectionName(_ purpose: String) -> String {
        "ragd_test_\(purpose)_\(getpid())_\(counter.next())_\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Runs `body` with a fresh collection of `dimension`, dropped afterwards.
    static func withCollection(
        _ purpose: String,
        dimension: Int = 8,
        _ body: (MilvusClient, String) throws -> Void
    ) throws {
        let client = try liveClient()
        let name = uniqueCollectionName(purpose)
        defer { _ = try? client.drop(collection: name) }
        try client.ensureCollection(name: name, dimension: dimension)
        try body(client, name)
    }

    /// A unit vector along `axis`, or a blend of two axes.
    static func axis(_ axis: Int, dimension: Int = 8) -> [Float] {
        var vector = [Float](repeating: 0, count: dimension)
        vector[axis] = 1
        return vector
    }

    static func blend(_ first: Int, _ second: Int, weight: Float, dimension: Int = 8) -> [Float] {
        var vector = [Float](repeating: 0, count: dimension)
        vector[first] = 1 - weight
        vector[second] += weight
        return vector
    }
}

/// A thread-safe counter for unique names.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

/// Runs `body` and returns the `MilvusError` it threw, or nil when it did not throw
/// (any other error is recorded as a test failure).
func milvusError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> MilvusError? {
    do {
        try body()
        return nil
    } catch let error as MilvusError {
        return error
    } catch {
        Issue.record("expected a MilvusError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
