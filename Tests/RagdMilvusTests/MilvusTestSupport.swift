import Foundation
import Testing
@testable import RagdMilvus
#if canImport(Glibc)
import Glibc
#endif

/// The real Milvus the tests use (`MILVUS_HOST`, `MILVUS_PORT`, `MILVUS_MANAGEMENT_PORT`;
/// defaults 127.0.0.1, 19530, 9091). CI starts it before the tests; when it is not there
/// the live tests fail with a message saying so, they do not skip.
enum MilvusTestSupport {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

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

    /// A TCP port on 127.0.0.1 that nothing listens on (bound by the kernel, then closed).
    static func closedPort() throws -> Int {
        let fd = try boundSocket()
        let port = try localPort(fd)
        close(fd)
        return port
    }

    /// A socket that listens but never accepts or answers: connects succeed (the kernel
    /// completes the handshake from its backlog), requests get no reply. Close it after.
    static func silentListener() throws -> (fd: Int32, port: Int) {
        let fd = try boundSocket()
        guard listen(fd, 16) == 0 else { close(fd); throw Failure("listen() failed") }
        return (fd, try localPort(fd))
    }

    private static func boundSocket() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { close(fd); throw Failure("bind() failed") }
        return fd
    }

    private static func localPort(_ fd: Int32) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { throw Failure("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
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
