#if canImport(Glibc)
import Glibc
#endif

/// A minimal FastCGI client: one request per connection, as nginx sends them. It is what
/// `ragd probe` uses for container health checks (ragd itself speaks no HTTP) and what
/// tests use to reach a worker without nginx.
public struct FastCGIClient {
    /// A response as a CGI application returns it.
    public struct Response {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    public var address: FastCGIAddress
    /// Bound on connect plus the whole exchange, in seconds (default 5).
    public var timeout: Double

    public init(address: FastCGIAddress, timeout: Double = 5) {
        self.address = address
        self.timeout = timeout
    }

    /// Sends one request. `params` are added to (and override) the defaults derived from
    /// `method` and `uri`.
    public func send(method: String = "GET", uri: String, headers: [(String, String)] = [],
                     body: [UInt8] = [], params extra: [String: String] = [:]) throws -> Response {
        let fd = try connectSocket()
        defer { close(fd) }

        let path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
        let query = uri.contains("?") ? String(uri[uri.index(after: uri.firstIndex(of: "?")!)...]) : ""
        var params: [String: String] = [
            "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_SOFTWARE": "ragd-probe",
            "REQUEST_METHOD": method, "REQUEST_URI": uri, "DOCUMENT_URI": path, "SCRIPT_NAME": path,
            "QUERY_STRING": query, "REMOTE_ADDR": "127.0.0.1", "CONTENT_LENGTH": String(body.count),
        ]
        for (name, value) in headers {
            let key = name.uppercased().replacingOccurrences(of: "-", with: "_")
            params[key == "CONTENT_TYPE" ? key : "HTTP_" + key] = value
        }
        params.merge(extra) { _, new in new }

        var out: [UInt8] = []
        // BEGIN_REQUEST: role 1 (responder), flags 0 (close the connection when done).
        Self.appendRecord(type: 1, content: [0, 1, 0, 0, 0, 0, 0, 0], to: &out)
        var encoded: [UInt8] = []
        for (name, value) in params.sorted(by: { $0.key < $1.key }) {
            Self.appendLength(name.utf8.count, to: &encoded)
            Self.appendLength(value.utf8.count, to: &encoded)
            encoded.append(contentsOf: name.utf8)
            encoded.append(contentsOf: value.utf8)
        }
        Self.appendStream(type: 4, content: encoded, to: &out)
        Self.appendStream(type: 5, content: body, to: &out)
        try writeAll(fd, out)

        var stdout: [UInt8] = []
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        readLoop: while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SocketError("read", detail: errno == EAGAIN ? "timed out after \(timeout) s" : nil)
            }
            if n == 0 { break }
            pending.append(contentsOf: buffer[0..<n])
            while pending.count >= 8 {
                let length = Int(pending[4]) << 8 | Int(pending[5])
                let padding = Int(pending[6])
                guard pending.count >= 8 + length + padding else { break }
                let type = pending[1]
                if type == 6 { stdout.append(contentsOf: pending[8..<(8 + length)]) }
                pending.removeFirst(8 + length + padding)
                if type == 3 { break readLoop } // END_REQUEST
            }
        }
        return try Self.parse(stdout)
    }

    private func connectSocket() throws -> Int32 {
        let timeoutValue = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        func prepare(_ fd: Int32) {
            var t = timeoutValue
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &t, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &t, socklen_t(MemoryLayout<timeval>.size))
        }
        switch address {
        case .unix(let path):
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SocketError("socket") }
            prepare(fd)
            do {
                try SocketAddress.withUnix(path) { sa, len in
                    guard connect(fd, sa, len) == 0 else { throw SocketError("connect", detail: path) }
                }
            } catch {
                close(fd)
                throw error
            }
            return fd
        case .tcp(let host, let port):
            return try SocketAddress.withTCP(host: host, port: port) { family, sa, len -> Int32? in
                let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                guard fd >= 0 else { throw SocketError("socket") }
                prepare(fd)
                guard connect(fd, sa, len) == 0 else {
                    let error = SocketError("connect", detail: address.description)
                    close(fd)
                    throw error
                }
                return fd
            }
        }
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SocketError("write")
            }
            offset += n
        }
    }

    private static func appendLength(_ length: Int, to out: inout [UInt8]) {
        if length < 128 {
            out.append(UInt8(length))
        } else {
            out.append(UInt8((length >> 24) & 0x7f) | 0x80)
            out.append(UInt8((length >> 16) & 0xff))
            out.append(UInt8((length >> 8) & 0xff))
            out.append(UInt8(length & 0xff))
        }
    }

    private static func appendRecord(type: UInt8, content: ArraySlice<UInt8>, to out: inout [UInt8]) {
        let padding = (8 - content.count % 8) % 8
        out += [1, type, 0, 1, UInt8(content.count >> 8), UInt8(content.count & 0xff), UInt8(padding), 0]
        out += content
        out += [UInt8](repeating: 0, count: padding)
    }

    private static func appendRecord(type: UInt8, content: [UInt8], to out: inout [UInt8]) {
        appendRecord(type: type, content: content[...], to: &out)
    }

    /// A stream (PARAMS, STDIN) is its content in records of at most 65535 bytes, then an empty one.
    private static func appendStream(type: UInt8, content: [UInt8], to out: inout [UInt8]) {
        var start = 0
        while start < content.count {
            let end = min(start + 65535, content.count)
            appendRecord(type: type, content: content[start..<end], to: &out)
            start = end
        }
        appendRecord(type: type, content: [], to: &out)
    }

    private static func parse(_ stdout: [UInt8]) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let split = (0...max(0, stdout.count - 4)).first(where: { stdout.count >= 4 && Array(stdout[$0..<$0 + 4]) == separator }) else {
            throw SocketError("read", code: EPROTO, detail: "no complete CGI header in the response")
        }
        let headText = String(decoding: stdout[0..<split], as: UTF8.self)
        var status = 200
        var headers: [(name: String, value: String)] = []
        for line in headText.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingPrefixSpaces()
            if name.lowercased() == "status" {
                status = Int(value.prefix(3)) ?? 500
            } else {
                headers.append((name: name, value: value))
            }
        }
        return Response(status: status, headers: headers, body: Array(stdout[(split + 4)...]))
    }
}

private extension Substring {
    func trimmingPrefixSpaces() -> String { String(drop { $0 == " " }) }
}

private extension String {
    func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
