import Foundation

/// `Tests/tools/fake_openai.py` on a port it picks itself, for one test.
public final class FakeOpenAIServer: @unchecked Sendable {
    public let process: ChildProcess
    public let port: Int
    private let logPath: String

    /// The `/v1` base URL an OpenAI client is configured with.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    public init(dimension: Int = 384, apiKey: String? = nil, extraArguments: [String] = []) throws {
        logPath = NSTemporaryDirectory() + "ragd-fake-openai-\(UUID().uuidString).log"
        var arguments = [Paths.testTool("fake_openai.py"), "--port", "0", "--dimension", String(dimension)]
        if let apiKey { arguments += ["--api-key", apiKey] }
        process = try ChildProcess("/usr/bin/python3", arguments + extraArguments, environment: [:], logPath: logPath)
        var found = 0
        let process = process
        let started = eventually(timeout: 15) {
            if let line = process.log.split(separator: "\n").first, line.hasPrefix("LISTENING "), let value = Int(line.dropFirst(10)) {
                found = value
                return true
            }
            return !process.isRunning // died: stop waiting
        }
        guard started, found > 0 else { throw TestFailure("fake_openai.py did not start:\n\(process.log)") }
        port = found
    }

    /// Merges `json` into the failure script (`POST /_control`).
    public func control(_ json: String) throws {
        let result = try HTTPResult.fetch("http://127.0.0.1:\(port)/_control", method: "POST", body: json)
        guard result.status == 200 else { throw TestFailure("POST /_control answered \(result.status): \(result.body)") }
    }

    /// Every API request received so far (`GET /_requests`).
    public func requests() throws -> [[String: Any]] {
        let result = try HTTPResult.fetch("http://127.0.0.1:\(port)/_requests")
        guard result.status == 200, let list = result.json?["requests"] as? [[String: Any]] else {
            throw TestFailure("GET /_requests answered \(result.status): \(result.body)")
        }
        return list
    }

    /// The `input` arrays of the logged embeddings requests, in order.
    public func loggedInputs() throws -> [[String]] {
        try requests().map { (($0["body"] as? [String: Any])?["input"] as? [String]) ?? [] }
    }

    /// The logged requests to paths ending in `suffix` (`/chat/completions`, `/embeddings`).
    public func requests(to suffix: String) throws -> [[String: Any]] {
        try requests().filter { ($0["path"] as? String)?.hasSuffix(suffix) == true }
    }

    /// Clears the script and the request log.
    public func reset() throws {
        try control(#"{"reset": true}"#)
    }

    deinit {
        process.stop(signal: SIGKILL, grace: 5)
        try? FileManager.default.removeItem(atPath: logPath)
    }
}
