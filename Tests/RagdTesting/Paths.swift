import Foundation

/// Where the repository, the built `ragd` and the scripts are, seen from a test process.
public enum Paths {
    /// The repository root (`RAGD_REPO_DIR`, else found from this file's location).
    public static let repository: URL = {
        if let dir = ProcessInfo.processInfo.environment["RAGD_REPO_DIR"] { return URL(fileURLWithPath: dir) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// The `ragd` binary next to the test bundle (`RAGD_BINARY` overrides).
    public static let ragdBinary: String = {
        if let path = ProcessInfo.processInfo.environment["RAGD_BINARY"] { return path }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        // The runner may be ragdPackageTests.xctest (a file) or a path inside a bundle.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("ragd").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return repository.appendingPathComponent(".build/debug/ragd").path
    }()

    public static func script(_ name: String) -> String {
        repository.appendingPathComponent("scripts").appendingPathComponent(name).path
    }

    public static func testTool(_ name: String) -> String {
        repository.appendingPathComponent("Tests/tools").appendingPathComponent(name).path
    }
}
