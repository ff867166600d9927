#if canImport(Glibc)
import Glibc
#endif

/// Where the FastCGI listener lives: a unix socket path or a loopback TCP port.
public enum FastCGIAddress: Sendable, Equatable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    public var description: String {
        switch self {
        case .unix(let path): return "unix:" + path
        case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }
}

/// A failed socket call, with the call's name and errno text (no user data).
public struct SocketError: Error, CustomStringConvertible {
    public var operation: String
    public var code: Int32
    public var detail: String?

    public init(_ operation: String, code: Int32 = errno, detail: String? = nil) {
        self.operation = operation
        self.code = code
        self.detail = detail
    }

    public var description: String {
        var text = "\(operation) failed: \(String(cString: strerror(code)))"
        if let detail { text += " (\(detail))" }
        return text
    }
}

/// `sockaddr` construction shared by the listener (bind) and the probe client (connect).
enum SocketAddress {
    /// Calls `body` with a `sockaddr_un` for `path`; throws if the path does not fit.
    static func withUnix<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> T) throws -> T {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let bytes = Array(path.utf8)
        guard bytes.count < capacity else {
            throw SocketError("bind", code: ENAMETOOLONG, detail: "unix socket path longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return try withUnsafePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                try body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    /// Resolves a numeric or `localhost` host and calls `body` with each candidate address.
    static func withTCP<T>(host: String, port: Int, _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) throws -> T?) throws -> T {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw SocketError("getaddrinfo", code: EINVAL, detail: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(first) }
        var lastError = SocketError("connect", code: EADDRNOTAVAIL)
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            do {
                if let result = try body(current.pointee.ai_family, current.pointee.ai_addr, current.pointee.ai_addrlen) {
                    return result
                }
            } catch let error as SocketError {
                lastError = error
            }
            entry = current.pointee.ai_next
        }
        throw lastError
    }
}
