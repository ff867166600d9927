import Foundation

/// A Python test tool (Tests/tools) started as a child, whose first stdout line tells its
/// ports: `fake_openai.py` ("LISTENING <port>") and `faultproxy.py`
/// ("LISTENING <port> CONTROL <port>").
public final class ToolProcess: @unchecked Sendable {
    public let child: ChildProcess
    public let ports: [Int]
    private let directory: String

    public init(_ tool: String, _ arguments: [String]) throws {
        directory = try TestSupport.makeTemporaryDirectory("ragd-tool")
        child = try ChildProcess("/usr/bin/python3", [Paths.testTool(tool)] + arguments, logPath: directory + "/tool.log")
        var words: [Substring] = []
        _ = eventually(timeout: 20) { [child] in
            let line = child.log.split(separator: "\n").first { $0.hasPrefix("LISTENING ") }
            words = line?.split(separator: " ") ?? []
            return line != nil || !child.isRunning
        }
        ports = words.compactMap { Int($0) }
        guard !ports.isEmpty else {
            child.stop(signal: SIGKILL, grace: 5)
            throw TestFailure("\(tool) did not start: \(child.log.suffix(1000))")
        }
    }

    public var port: Int { ports[0] }

    /// Kills the tool. SIGKILL, not SIGTERM: the test runner may start children with
    /// SIGTERM blocked, and these tools hold nothing that needs a clean exit.
    public func stop() {
        child.stop(signal: SIGKILL, grace: 5)
    }

    deinit {
        stop()
        TestSupport.removeDirectory(directory)
    }
}

/// The fault proxy's control channel: one JSON command per connection.
public func faultProxyCommand(port: Int, _ command: [String: Any]) throws -> [String: Any] {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw TestFailure("cannot reach the fault proxy's control port") }
    var data = try JSONSerialization.data(withJSONObject: command)
    data.append(UInt8(ascii: "\n"))
    _ = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    var reply = Data()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n <= 0 { break }
        reply.append(contentsOf: buffer[0..<n])
        if reply.contains(UInt8(ascii: "\n")) { break }
    }
    return (try JSONSerialization.jsonObject(with: reply) as? [String: Any]) ?? [:]
}

/// A plain HTTP JSON call (for the fake OpenAI server's control endpoints).
@discardableResult
public func httpJSON(_ method: String, _ url: String, _ body: [String: Any]? = nil) throws -> [String: Any] {
    var arguments = ["-s", "--max-time", "10", "-X", method, url]
    if let body {
        arguments += ["-H", "Content-Type: application/json", "--data-binary",
                      String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)]
    }
    let result = try run("/usr/bin/curl", arguments)
    return (try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]) ?? [:]
}
