import Foundation
import RagdTesting
#if canImport(Glibc)
import Glibc
#endif

/// A small threaded Python HTTP/1.1 server (standard library only, Tests/tools/
/// http_test_server.py) on a free port, with the routes the HTTP client tests need; it
/// writes its port to a file once it listens.
final class LocalHTTPServer {
    let port: Int
    private let directory: String
    private let process: ChildProcess

    var baseURL: String { "http://127.0.0.1:\(port)" }

    init() throws {
        directory = try TestSupport.makeTemporaryDirectory("ragd-http")
        let portFile = directory + "/port"
        process = try ChildProcess("/usr/bin/python3", [Paths.testTool("http_test_server.py"), portFile],
                                   logPath: directory + "/server.log")
        var port: Int?
        _ = eventually(timeout: 10) {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap {
                Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return port != nil
        }
        guard let port else {
            process.stop()
            throw TestFailure("the Python HTTP server did not start: \(process.log.suffix(500))")
        }
        self.port = port
    }

    deinit {
        process.stop()
        TestSupport.removeDirectory(directory)
    }
}
