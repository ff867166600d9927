import Foundation
import Testing

@testable import RagdConfig

/// Distinctive secret values: a test fails if any of them shows up where it must not.
enum Fixture {
    static let secretKey = "sk-TOPSECRET-" + String(repeating: "x", count: 40)
    static let databasePassword = "db-PASS-w0rd"
    static let redisPassword = "redis-PASS-w0rd"
    static let llmKey = "llm-TOPSECRET-key"
    static var secrets: [String] { [secretKey, databasePassword, redisPassword, llmKey] }

    /// The three required variables, no dotenv file.
    static let minimal: [String: String] = [
        "SECRET_KEY": secretKey,
        "DATABASE_URL": "postgresql://app:\(databasePassword)@db.internal:5432/rag",
        "REDIS_URL": "redis://:\(redisPassword)@redis:6379/0",
        "ENV_FILE": "",
    ]

    static func environment(_ overrides: [String: String] = [:], removing: [String] = []) -> [String: String] {
        var env = minimal.merging(overrides) { $1 }
        for key in removing { env.removeValue(forKey: key) }
        return env
    }

    /// The problems `Settings.load` reports, or [] when it succeeds.
    static func problems(_ environment: [String: String], currentDirectory: String? = nil) -> [ConfigurationProblem] {
        do {
            _ = try Settings.load(environment: environment, currentDirectory: currentDirectory ?? "/nonexistent")
            return []
        } catch {
            return error.problems
        }
    }
}

/// A temporary directory removed when the value is dropped by the test.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("ragd-config-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
