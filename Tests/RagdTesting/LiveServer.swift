import Foundation

/// A real ragd behind a real nginx (rendered from the shipped templates) on free ports,
/// in its own temporary directory, as the live tests need it.
public final class LiveServer: @unchecked Sendable {
    public let directory: String
    public let socketPath: String
    public let httpsPort: Int
    public let httpPort: Int
    public private(set) var ragd: ChildProcess?
    public private(set) var nginx: ChildProcess?
    public var environment: [String: String]

    /// Settings every live ragd gets; the backends come from the test environment
    /// (scripts/test.sh exports them from the local stack).
    public static func baseEnvironment(socketPath: String) -> [String: String] {
        let env = ProcessInfo.processInfo.environment
        return [
            "SECRET_KEY": "live-test-secret-key-0123456789abcdef",
            "DATABASE_URL": env["DATABASE_URL"] ?? "postgres://ragd:ragd@127.0.0.1:55432/ragdb",
            "REDIS_URL": env["REDIS_URL"] ?? "redis://127.0.0.1:56379",
            "MILVUS_HOST": env["MILVUS_HOST"] ?? "127.0.0.1",
            "MILVUS_PORT": env["MILVUS_PORT"] ?? "19530",
            "ENVIRONMENT": "test",
            "ENV_FILE": "",
            "FCGI_LISTEN": socketPath,
            "FCGI_SOCKET_MODE": "0666",
            "WORKERS": "2",
            "THREADS": "4",
            "ENABLE_TEST_ROUTES": "true",
            "GRACEFUL_TIMEOUT": "15",
            "HEALTH_CHECK_TIMEOUT": "1",
            "MIGRATE_ON_START": "true",
            "MILVUS_COLLECTION": "ragd_live",
            // The suites share one client address and reuse tokens; the rate-limit tests lower it.
            "RATE_LIMIT_PER_MINUTE": "100000",
        ]
    }

    /// Prepares a directory nginx's `nobody` workers can traverse; `overrides` change the
    /// ragd environment (a nil value removes a variable).
    public init(_ overrides: [String: String?] = [:]) throws {
        let template = "/tmp/ragd-live-XXXXXX"
        var buffer = Array(template.utf8CString)
        guard let made = mkdtemp(&buffer) else { throw TestFailure("mkdtemp failed") }
        directory = String(cString: made)
        chmod(directory, 0o755)
        socketPath = directory + "/ragd.sock"
        httpsPort = try TestSupport.freePort()
        httpPort = try TestSupport.freePort()
        environment = Self.baseEnvironment(socketPath: socketPath)
        for (key, value) in overrides { environment[key] = value }
    }

    /// Starts ragd and nginx and waits until `/health` answers through nginx.
    public func start() throws {
        try startRagd()
        try startNginx()
        guard eventually(timeout: 20, { (try? get("/health"))?.status == 200 }) else {
            throw TestFailure("the stack did not answer /health within 20 s\nragd log:\n\(ragd?.log ?? "")\nnginx:\n\(nginxErrorLog)")
        }
    }

    public func startRagd() throws {
        ragd = try ChildProcess(Paths.ragdBinary, ["serve"], environment: environment, logPath: directory + "/ragd.log",
                                currentDirectory: directory)
    }

    /// Waits until the master has `count` live workers and returns their pids.
    @discardableResult
    public func waitForWorkers(_ count: Int, timeout: Double = 10) -> Set<Int32>? {
        guard let ragd else { return nil }
        var pids: Set<Int32> = []
        let ok = eventually(timeout: timeout) {
            pids = childPIDs(of: ragd.pid)
            return pids.count == count
        }
        return ok ? pids : nil
    }

    public func startNginx() throws {
        let certificate = try Certificate.shared()
        let rendered = directory + "/nginx"
        var env = ProcessInfo.processInfo.environment
        env["RAGD_TLS_MODE"] = "terminate"
        env["RAGD_HTTP_PORT"] = "127.0.0.1:\(httpPort)"
        env["RAGD_HTTPS_PORT"] = "127.0.0.1:\(httpsPort)"
        env["RAGD_FASTCGI_UPSTREAM"] = "unix:" + socketPath
        env["RAGD_TLS_CERT"] = certificate.cert
        env["RAGD_TLS_KEY"] = certificate.key
        let render = try run("/bin/bash", [Paths.script("render-nginx.sh"), rendered], environment: env)
        guard render.status == 0 else { throw TestFailure("render-nginx.sh failed: \(render.output)") }
        try run("/bin/chmod", ["-R", "a+rX", rendered])
        nginx = try ChildProcess("/usr/sbin/nginx", ["-p", rendered, "-c", "nginx.conf", "-g", "daemon off;"],
                                 environment: [:], logPath: directory + "/nginx.out")
    }

    public var nginxErrorLog: String {
        (try? String(contentsOfFile: directory + "/nginx/logs/error.log", encoding: .utf8)) ?? ""
    }

    public var baseURL: String { "https://127.0.0.1:\(httpsPort)" }

    /// GET (or another method) through nginx over HTTPS.
    public func get(_ path: String, method: String = "GET", headers: [String: String] = [:], timeout: Double = 10) throws -> HTTPResult {
        try HTTPResult.fetch(baseURL + path, method: method, headers: headers, timeout: timeout)
    }

    /// Any request through nginx over HTTPS; `curlArguments` are added as they are (e.g. `-F`).
    public func request(_ method: String, _ path: String, token: String? = nil, headers: [String: String] = [:],
                        body: String? = nil, bodyFile: String? = nil, curlArguments: [String] = [],
                        timeout: Double = 30) throws -> HTTPResult {
        var headers = headers
        if let token { headers["Authorization"] = "Bearer " + token }
        return try HTTPResult.fetch(baseURL + path, method: method, headers: headers, body: body, bodyFile: bodyFile,
                                    extra: curlArguments, timeout: timeout)
    }

    /// `method path` with `object` as its JSON body, through nginx over HTTPS.
    public func requestJSON(_ method: String, _ path: String, token: String? = nil, _ object: [String: Any],
                            headers: [String: String] = [:], timeout: Double = 30) throws -> HTTPResult {
        var headers = headers
        headers["Content-Type"] = "application/json"
        return try request(method, path, token: token, headers: headers,
                           body: String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self),
                           timeout: timeout)
    }

    /// A token for `tenant` minted by `ragd token` with this server's SECRET_KEY.
    public func token(tenant: String, scopes: String = "documents:read documents:write query", ttl: Int = 600) throws -> String {
        var env = environment
        env["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        let result = try run(Paths.ragdBinary, ["token", "--tenant", tenant, "--scope", scopes, "--ttl", String(ttl)],
                             environment: env)
        guard result.status == 0 else { throw TestFailure("ragd token failed: \(result.output)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops nginx and ragd (TERM, then KILL) and removes the directory.
    public func stop() {
        nginx?.stop(signal: SIGQUIT, grace: 5)
        ragd?.stop(signal: SIGTERM, grace: 20)
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}

/// One HTTP exchange made with the curl command line tool (it trusts our self-signed
/// certificate with -k and reports the status, headers and body separately).
public struct HTTPResult: Sendable {
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: String

    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
    }

    public static func fetch(_ url: String, method: String = "GET", headers: [String: String] = [:],
                             body: String? = nil, bodyFile: String? = nil, extra: [String] = [],
                             timeout: Double = 10) throws -> HTTPResult {
        let tmp = NSTemporaryDirectory() + "ragd-curl-" + UUID().uuidString
        defer {
            try? FileManager.default.removeItem(atPath: tmp + ".h")
            try? FileManager.default.removeItem(atPath: tmp + ".b")
        }
        var arguments = ["-sk", "--max-time", String(timeout), "-X", method, "-D", tmp + ".h", "-o", tmp + ".b",
                         "-w", "%{http_code}", url]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let body { arguments += ["--data-binary", body] }
        if let bodyFile { arguments += ["--data-binary", "@" + bodyFile] }
        arguments += extra
        let result = try run("/usr/bin/curl", arguments)
        let status = Int(result.output.suffix(3)) ?? 0
        var parsed: [String: String] = [:]
        let headerText = (try? String(contentsOfFile: tmp + ".h", encoding: .utf8)) ?? ""
        for line in headerText.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            parsed[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let bodyText = (try? String(contentsOfFile: tmp + ".b", encoding: .utf8)) ?? ""
        return HTTPResult(status: status, headers: parsed, body: bodyText)
    }
}

/// A self-signed certificate for 127.0.0.1/localhost, made once per test run.
public enum Certificate {
    public static func shared() throws -> (cert: String, key: String) {
        let dir = "/tmp/ragd-live-tls"
        let cert = dir + "/tls.crt", key = dir + "/tls.key"
        if FileManager.default.fileExists(atPath: cert) && FileManager.default.fileExists(atPath: key) { return (cert, key) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let result = try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                                                  "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                                                  "-keyout", key + ".tmp", "-out", cert + ".tmp"])
        guard result.status == 0 else { throw TestFailure("openssl failed: \(result.output)") }
        rename(key + ".tmp", key)
        rename(cert + ".tmp", cert)
        chmod(key, 0o644)
        return (cert, key)
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
