import ArgumentParser
import RagdConfig
import RagdFastCGI
#if canImport(Glibc)
import Glibc
#endif

/// `ragd probe`: a FastCGI client for container health checks. The server speaks only
/// FastCGI, so `curl` cannot probe it without nginx; this can.
struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask the running server for a path over FastCGI; exit 0 on HTTP 200, 1 otherwise.")

    @Option(help: "The path to request.")
    var path = "/health"

    @Option(help: "Where ragd listens (unix socket path or HOST:PORT). Default: FCGI_LISTEN from the environment/.env.")
    var listen: String?

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Double = 3

    @Flag(help: "Print the response body.")
    var verbose = false

    func run() throws {
        let address: FastCGIAddress
        switch ListenAddress.parse(listen ?? Self.configuredListen()) {
        case .success(.unix(let socketPath)): address = .unix(path: socketPath)
        case .success(.tcp(let host, let port)): address = .tcp(host: host, port: port)
        case .failure(let error):
            printError("probe: \(error)")
            throw ExitCode(1)
        }
        do {
            let response = try FastCGIClient(address: address, timeout: timeout).send(uri: path)
            if verbose { print(String(decoding: response.body, as: UTF8.self)) }
            guard response.status == 200 else {
                printError("probe: \(path) answered \(response.status)")
                throw ExitCode(1)
            }
        } catch let error as SocketError {
            printError("probe: \(address): \(error)")
            throw ExitCode(1)
        }
    }

    /// FCGI_LISTEN as `serve` would see it; falls back to the raw variable or the default
    /// when the rest of the configuration does not load (a probe must not need secrets).
    private static func configuredListen() -> String {
        if let settings = try? Settings.loadFromProcess() { return settings.fcgiListen.description }
        if let raw = getenv("FCGI_LISTEN") { return String(cString: raw) }
        return Settings.defaultFCGIListen.description
    }
}
