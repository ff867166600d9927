import RagdTesting
import Testing
@testable import RagdMilvus
import RagdCore
#if canImport(Glibc)
import Glibc
#endif

/// Milvus down or hanging: the errors the API layer turns into 503 and 504.
@Suite(.timeLimit(.minutes(1)))
struct MilvusFailureTests {
    @Test func closedPortIsUnavailableQuickly() throws {
        let client = try MilvusClient(configuration: .init(host: "127.0.0.1", port: try TestSupport.freePort()))
        let started = Clock.monotonicNanoseconds()
        let error = milvusError { try client.health() }
        let elapsed = Double(Clock.monotonicNanoseconds() - started) / 1e9
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("127.0.0.1") == true)
        #expect(elapsed < 2)
        #expect(milvusError { try client.ensureCollection(name: "anything", dimension: 8) }?.code == .unavailable)
    }

    @Test func silentServerIsATimeout() throws {
        let listener = try BlackHoleListener()
        let client = try MilvusClient(configuration: .init(host: "127.0.0.1", port: listener.port,
                                                           requestTimeout: .milliseconds(400)))
        let started = Clock.monotonicNanoseconds()
        let error = milvusError { try client.health() }
        let elapsed = Double(Clock.monotonicNanoseconds() - started) / 1e9
        #expect(error?.code == .timeout)
        #expect(elapsed < 3)
    }

    @Test func tokenIsSentButNeverShown() throws {
        let secret = "root:Sup3rSecret"
        let client = try MilvusClient(configuration: .init(host: "127.0.0.1", port: try TestSupport.freePort(), token: secret))
        let error = try #require(milvusError { try client.health() })
        #expect(!error.description.contains("Sup3rSecret"))
        #expect(!client.configuration.description.contains("Sup3rSecret"))
    }

    @Test func badHostOrPortIsInvalidInput() {
        #expect(milvusError { _ = try MilvusClient(configuration: .init(host: "evil/path?x")) }?.code == .invalidInput)
        #expect(milvusError { _ = try MilvusClient(configuration: .init(host: "user@host")) }?.code == .invalidInput)
        #expect(milvusError { _ = try MilvusClient(configuration: .init(host: "")) }?.code == .invalidInput)
        #expect(milvusError { _ = try MilvusClient(configuration: .init(port: 0)) }?.code == .invalidInput)
        #expect(milvusError { _ = try MilvusClient(configuration: .init(managementPort: 70_000)) }?.code == .invalidInput)
        #expect(milvusError { _ = try MilvusClient(configuration: .init(insertBatchSize: 0)) }?.code == .invalidInput)
    }
}
